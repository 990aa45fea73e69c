using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Contract;

/// <summary>
/// A real scheduler passed "for the timers" only runs timers: the consumer is resumed as with no scheduler, and a
/// pull pump never runs inline in the consumer's MoveNextAsync. Only a virtual-time scheduler resumes inline.
/// </summary>
[Category("RealThreads")]
[CancelAfter(60_000)]
public sealed class SchedulerKindTests
{
    [ThreadStatic]
    private static bool _insideOnNext;

    public static IEnumerable<TestCaseData> RealSchedulers()
    {
        yield return new TestCaseData(DefaultScheduler.Instance).SetArgDisplayNames("Scheduler.Default");
        yield return new TestCaseData(TaskPoolScheduler.Default).SetArgDisplayNames("TaskPoolScheduler");
        yield return new TestCaseData(ThreadPoolScheduler.Instance).SetArgDisplayNames("ThreadPoolScheduler");
        yield return new TestCaseData(ImmediateScheduler.Instance).SetArgDisplayNames("ImmediateScheduler");
        yield return new TestCaseData(CurrentThreadScheduler.Instance).SetArgDisplayNames("CurrentThreadScheduler");
    }

    [Test]
    public void IsVirtualTime_OnlyForTheVirtualTimeSchedulerBaseFamily()
    {
        Assert.That(Schedulers.IsVirtualTime(new TestScheduler()), Is.True);
        Assert.That(Schedulers.IsVirtualTime(new HistoricalScheduler()), Is.True);
        Assert.That(Schedulers.IsVirtualTime(new UsersOwnVirtualScheduler()), Is.True);
        Assert.That(Schedulers.IsVirtualTime(null), Is.False);
        Assert.That(Schedulers.IsVirtualTime(DefaultScheduler.Instance), Is.False);
        Assert.That(Schedulers.IsVirtualTime(TaskPoolScheduler.Default), Is.False);
        Assert.That(Schedulers.IsVirtualTime(ImmediateScheduler.Instance), Is.False);
        Assert.That(Schedulers.IsVirtualTime(CurrentThreadScheduler.Instance), Is.False);
        using var loop = new EventLoopScheduler();
        Assert.That(Schedulers.IsVirtualTime(loop), Is.False);
    }

    [TestCaseSource(nameof(RealSchedulers))]
    public async Task RealScheduler_Bridge_ConsumerNeverRunsOnTheProducersStack(IScheduler scheduler)
    {
        var subject = new Subject<int>();
        var counters = new BackpressureCounters();
        var sawInsideOnNext = new List<bool>();
        var consumer = Task.Run(async () =>
        {
            await foreach (int x in subject.SampleWhenFull(4, TimeSpan.FromMilliseconds(1), scheduler: scheduler, counters: counters))
            {
                sawInsideOnNext.Add(_insideOnNext);
            }
        });

        await WhenSubscribed(subject);
        await Task.Run(async () =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                _insideOnNext = true;
                subject.OnNext(i);
                _insideOnNext = false;
                if (i % 200 == 0)
                {
                    await Task.Yield();
                }
            }

            subject.OnCompleted();
        });
        await consumer;

        Assert.That(sawInsideOnNext, Is.Not.Empty);
        Assert.That(sawInsideOnNext, Has.None.True, "the consumer's loop body ran inside the producer's OnNext");
        Assert.That(counters.Delivered + counters.Dropped, Is.EqualTo(2_000));
    }

    [TestCaseSource(nameof(RealSchedulers))]
    public async Task RealScheduler_Pull_AlwaysReadySource_FirstMoveNextReturns(IScheduler scheduler)
    {
        var counters = new BackpressureCounters();
        var first = Task.Run(async () =>
        {
            await using IAsyncEnumerator<int> e = Forever().DropWhenFull(16, scheduler: scheduler, counters: counters).GetAsyncEnumerator();
            bool moved = await e.MoveNextAsync();
            return (moved, e.Current);
        });

        // A bounded wait: before the fix the pump ran inline in the first MoveNextAsync and it never returned.
        Task winner = await Task.WhenAny(first, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.That(winner, Is.SameAs(first), "the first MoveNextAsync never returned: the pump ran inline");
        Assert.That((await first).moved, Is.True);
    }

    [Test]
    public async Task VirtualScheduler_Bridge_ResumesTheWaitingConsumerSynchronously()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        await using IAsyncEnumerator<int> e = subject.DropWhenFull(1, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> move = e.MoveNextAsync();

        subject.OnNext(1);

        Assert.That(move.IsCompletedSuccessfully, Is.True, "a virtual-time scheduler hands the item over synchronously");
        Assert.That(e.Current, Is.EqualTo(1));
    }

    private static async Task WhenSubscribed<T>(Subject<T> subject)
    {
        while (!subject.HasObservers)
        {
            await Task.Delay(1);
        }
    }

    private static async IAsyncEnumerable<int> Forever([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int i = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            yield return i++;
        }

        await Task.CompletedTask;
    }

    private sealed class UsersOwnVirtualScheduler : VirtualTimeScheduler<long, long>
    {
        protected override long Add(long absolute, long relative) => absolute + relative;

        protected override DateTimeOffset ToDateTimeOffset(long absolute) => new(absolute, TimeSpan.Zero);

        protected override long ToRelative(TimeSpan timeSpan) => timeSpan.Ticks;
    }
}
