using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// LatestByKey's producer lane: arrivals carry the key the producer computed, once, when they arrived; they are looked
/// up when the lane moves. Used only when no replacement is observed as it happens and keys compare without user code.
/// </summary>
public sealed class KeyedLaneTests : ReactiveTest
{
    [Test]
    public void TheLane_IsUsedOnlyWhenKeysCompareWithoutUserCode_AndNothingObservesAReplacement()
    {
        Assert.That(KeyedStorage<int, int>.ComparesWithoutUserCode(EqualityComparer<int>.Default), Is.True);
        Assert.That(KeyedStorage<int, string?>.ComparesWithoutUserCode(EqualityComparer<string?>.Default), Is.True);
        Assert.That(KeyedStorage<int, Guid?>.ComparesWithoutUserCode(EqualityComparer<Guid?>.Default), Is.True);
        Assert.That(KeyedStorage<int, DayOfWeek>.ComparesWithoutUserCode(EqualityComparer<DayOfWeek>.Default), Is.True);
        Assert.That(KeyedStorage<int, string>.ComparesWithoutUserCode(StringComparer.OrdinalIgnoreCase), Is.False, "a comparer other than the default may be user code");
        Assert.That(KeyedStorage<int, (int, int)>.ComparesWithoutUserCode(EqualityComparer<(int, int)>.Default), Is.False, "a struct's Equals may be user code");
        Assert.That(KeyedStorage<int, object>.ComparesWithoutUserCode(EqualityComparer<object>.Default), Is.False);

        Assert.That(UsesLane(onDropped: null, counters: null), Is.True);
        Assert.That(UsesLane(onDropped: _ => { }, counters: null), Is.False, "onDropped sees each replacement as it happens");
        Assert.That(UsesLane(onDropped: null, counters: new BackpressureCounters()), Is.False, "counters see each replacement as it happens");
    }

    [Test]
    public void InVirtualTime_TheSelectorRunsOncePerArrival_WhenItArrives()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        int calls = 0;
        int Key(int x)
        {
            calls++;
            return x % 3;
        }

        var e = subject.LatestByKey(Key, 8, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(0);   // handed to the waiting consumer: no key needed
        Assert.That(first.Result, Is.True);

        for (int i = 1; i <= 10; i++)
        {
            subject.OnNext(i);
            Assert.That(calls, Is.EqualTo(i), $"after arrival {i}, the selector ran for each arrival that needed a key, at once");
        }

        var values = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(e.MoveNextAsync().Result, Is.True);
            values.Add(e.Current);
        }

        Assert.That(values, Is.EqualTo(new[] { 10, 8, 9 }), "one value per key, the latest, keys in order of first arrival");
        Assert.That(calls, Is.EqualTo(10), "moving the lane runs no selector");
    }

    [Test]
    public void AThrowingSelectorOnTheLane_FailsTheSequenceAfterTheHeldValues_AndDisposesTheSubscriptionAtOnce()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("selector");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 13), OnNext(214, 4), OnCompleted<int>(300));

        var res = scheduler.StartPull(() => xs.LatestByKey(x => x > 10 ? throw ex : x, 4, scheduler: scheduler), 50);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(260, 2), OnNext(310, 3), OnError<int>(360, ex) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 213) }), "disposed when the arrival's selector threw, not later");
    }

    [TestCase(24, 32)]
    [TestCase(1_000, 1_024)]
    public async Task AProducerRacingTheConsumer_OnTheLane_EachKeysValuesArriveInOrder_TheLastOfEachIsDelivered_AndTheSelectorRanOncePerArrival(int keys, int capacity)
    {
        // Fewer keys than the capacity: values are replaced, never evicted. At capacity 1,024 the credit is not what
        // bounds the lane: it can take its whole length (128) between the producer's sections.
        const int Items = 300_000;
        for (int round = 0; round < 3; round++)
        {
            var source = new Subject<int>();
            long calls = 0;
            var delivered = new List<int>();
            int Key(int x)
            {
                Interlocked.Increment(ref calls);
                return x % keys;
            }

            var consumer = Task.Run(async () =>
            {
                await foreach (int item in source.LatestByKey(Key, capacity))
                {
                    delivered.Add(item);
                }
            });
            await source.WaitForSubscription();
            await Task.Run(() =>
            {
                for (int i = 0; i < Items; i++)
                {
                    source.OnNext(i);
                }

                source.OnCompleted();
            });
            await consumer;

            Assert.That(delivered, Is.Unique, $"round {round}");
            foreach (var group in delivered.GroupBy(x => x % keys))
            {
                Assert.That(group, Is.Ordered.Ascending, $"round {round}, key {group.Key}");
                Assert.That(group.Last(), Is.GreaterThanOrEqualTo(Items - keys), $"round {round}, key {group.Key}: its last value is delivered");
            }

            Assert.That(Interlocked.Read(ref calls), Is.LessThanOrEqualTo(Items), $"round {round}: at most once per arrival (an arrival handed to a waiting consumer needs no key)");
        }
    }

    [Test]
    public async Task AStopRacingTheLane_NeverHangs_AndDeliversEachValueAtMostOnce([Values(false, true)] bool cancel)
    {
        for (int round = 0; round < 200; round++)
        {
            var source = new Subject<int>();
            var delivered = new List<int>();
            int stopAfter = round % 50;
            using var cancellation = new CancellationTokenSource();
            var consumer = Task.Run(async () =>
            {
                try
                {
                    await foreach (int item in source.LatestByKey(x => x % 7, 16).WithCancellation(cancellation.Token))
                    {
                        delivered.Add(item);
                        if (delivered.Count > stopAfter)
                        {
                            if (!cancel)
                            {
                                break;
                            }

                            cancellation.Cancel();
                        }
                    }
                }
                catch (OperationCanceledException) when (cancel)
                {
                }
            });
            await source.WaitForSubscription();
            var producer = Task.Run(() =>
            {
                for (int i = 0; i < 5_000; i++)
                {
                    source.OnNext(i);
                }

                source.OnCompleted();
            });
            bool finished = await Task.WhenAll(consumer, producer).WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            Assert.That(finished, Is.True, $"round {round}: the consumer and the producer finished");
            Assert.That(delivered.Distinct().Count(), Is.EqualTo(delivered.Count), $"round {round}: no value twice");
        }
    }

    [Test]
    public void TheKeyedLane_TakesUpToItsLengthWithoutTheGate_ThenMovesThemInOrder_ReplacingHeldKeys()
    {
        // Longer than the plain lane: the producer takes the gate to move it once per 128 arrivals, not per 32.
        var storage = new KeyedStorage<(int Key, int Value), int>(1024, x => x.Key, EqualityComparer<int>.Default, usesLane: true);
        Assert.That(KeyedStorage<(int, int), int>.LaneLength, Is.GreaterThan(ProducerLane<int>.Length).And.LessThanOrEqualTo(ProducerLane<int>.MaxLength));
        storage.GrantLane(1_000);
        Assert.That(storage.LaneCredit, Is.EqualTo(KeyedStorage<(int, int), int>.LaneLength), "credit up to the lane's length, not the room");

        int appended = 0;
        while (storage.TryAppend((appended % 100, appended)))
        {
            appended++;
        }

        Assert.That(appended, Is.EqualTo(KeyedStorage<(int, int), int>.LaneLength), "every arrival up to the length, without the gate");
        Assert.That(storage.Count, Is.Zero, "nothing is in storage before the lane moves");
        Assert.That(storage.MoveLane(), Is.EqualTo(appended - 100), "arrivals of a key already moved replace its value");
        Assert.That(
            storage.ToArray(),
            Is.EqualTo(Enumerable.Range(0, 100).Select(k => (k, k + 100 < appended ? k + 100 : k))),
            "keys in order of first arrival, each with its latest value");
    }

    [Test]
    public void TheKeyedLane_IsNoLongerThanTheCapacity()
    {
        // The credit stays below the capacity, so slots beyond it would never be used.
        var storage = new KeyedStorage<(int Key, int Value), int>(4, x => x.Key, EqualityComparer<int>.Default, usesLane: true);
        storage.GrantLane(1_000);
        Assert.That(storage.LaneCredit, Is.EqualTo(4), "the lane's length is the capacity's");
    }

    private static bool UsesLane(Action<(int, int)>? onDropped, BackpressureCounters? counters)
    {
        var policy = BufferPolicy<(int, int)>.LatestByKey(x => x.Item1, 8, BufferOverflow.DropOldest, onDropped, EqualityComparer<int>.Default, null, counters, null);
        var storage = (KeyedStorage<(int, int), int>)policy.CreateStorage();
        return storage.UsesLane;
    }
}
