using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// LatestByKey with the consumer's span: the oldest keys' values move to the span, and a key whose value is there is
/// still held — an arrival replaces it in place until the consumer takes it; after that, the key is new again. The
/// storage gives its nodes back as the values are taken.
/// </summary>
public sealed class KeyedSpanTests
{
    [Test]
    public void AnArrivalReplacesAValueInTheSpan_ButAfterTheConsumerTookIt_ItsKeyIsNew()
    {
        var dropped = new List<(string Key, int Value)>();
        var buffer = Keyed(capacity: 8, dropped.Add);
        buffer.Write(("a", 1));
        buffer.Write(("b", 1));
        buffer.Write(("c", 1));

        Assert.That(Read(buffer), Is.EqualTo(("a", 1)), "the read moves a, b and c to the span and takes a");
        buffer.Write(("b", 2));
        buffer.Write(("a", 2));

        Assert.That(dropped, Is.EqualTo(new[] { ("b", 1) }), "b's value in the span was replaced; a had been taken");
        Assert.That(buffer.Snapshot().Buffered, Is.EqualTo(new[] { ("b", 2), ("c", 1), ("a", 2) }), "b keeps its place; a is a new key, last");
        Assert.That(new[] { Read(buffer), Read(buffer), Read(buffer) }, Is.EqualTo(new[] { ("b", 2), ("c", 1), ("a", 2) }));
    }

    [Test]
    public void KeysWhoseValuesWereTaken_AreForgotten_AndTheStorageShrinksWhenAllAreTaken()
    {
        var buffer = Keyed(capacity: 4096, onDropped: null);
        for (int round = 0; round < 3; round++)
        {
            for (int key = 0; key < 1000; key++)
            {
                buffer.Write((key.ToString(System.Globalization.CultureInfo.InvariantCulture), round));
            }

            Assert.That(buffer.AllocatedSlots(), Is.GreaterThanOrEqualTo(1000));
            for (int key = 0; key < 1000; key++)
            {
                Assert.That(Read(buffer), Is.EqualTo((key.ToString(System.Globalization.CultureInfo.InvariantCulture), round)), $"round {round}: each key once, in order of arrival");
            }

            Assert.That(buffer.Snapshot().Buffered, Is.Empty);
            Assert.That(buffer.AllocatedSlots(), Is.LessThanOrEqualTo(Ring<int>.RetainedLength), $"round {round}: memory follows the keys held");
        }
    }

    [Test]
    public void AfterAnEviction_TheEvictedKeysArrivalIsANewKey([Values(BufferOverflow.DropOldest, BufferOverflow.DropNewest)] BufferOverflow overflow)
    {
        // DropOldest evicts from the span (b, then c); DropNewest from storage (d, then e).
        var dropped = new List<(string Key, int Value)>();
        var buffer = Keyed(capacity: 3, dropped.Add, overflow);
        buffer.Write(("a", 1));
        buffer.Write(("b", 1));
        buffer.Write(("c", 1));
        Assert.That(Read(buffer), Is.EqualTo(("a", 1)), "b and c are in the span now");
        buffer.Write(("d", 1));
        buffer.Write(("e", 1));

        var evicted = overflow == BufferOverflow.DropOldest ? ("b", 1) : ("d", 1);
        Assert.That(dropped, Is.EqualTo(new[] { evicted }));
        buffer.Write((evicted.Item1, 2));
        var expected = overflow == BufferOverflow.DropOldest
            ? new[] { ("d", 1), ("e", 1), ("b", 2) }
            : new[] { ("b", 1), ("c", 1), ("d", 2) };
        var expectedDropped = overflow == BufferOverflow.DropOldest ? new[] { ("b", 1), ("c", 1) } : new[] { ("d", 1), ("e", 1) };
        Assert.That(buffer.Snapshot().Buffered, Is.EqualTo(expected), "the evicted key's arrival is a new key, and the buffer stays full");
        Assert.That(dropped, Is.EqualTo(expectedDropped));
    }

    [Test]
    public async Task AProducerRacingTheConsumer_EachValueIsDeliveredOrReplacedOnce_AndEachKeysValuesArriveInOrder()
    {
        const int Keys = 24; // fewer than the capacity: values are only replaced, never evicted
        const int Items = 200_000;
        var dropped = new ConcurrentQueue<(int Key, int Value)>();
        var counters = new BackpressureCounters();
        var source = new System.Reactive.Subjects.Subject<(int Key, int Value)>();
        var delivered = new List<(int Key, int Value)>();
        var consumer = Task.Run(async () =>
        {
            await foreach (var item in source.LatestByKey(x => x.Key, 32, onDropped: dropped.Enqueue, counters: counters))
            {
                delivered.Add(item);
            }
        });
        await source.WaitForSubscription();
        await Task.Run(() =>
        {
            for (int i = 0; i < Items; i++)
            {
                source.OnNext((i % Keys, i));
            }

            source.OnCompleted();
        });
        await consumer;

        var all = delivered.Concat(dropped).Select(x => x.Value).Order().ToList();
        Assert.That(all, Is.EqualTo(Enumerable.Range(0, Items)), "every value delivered or replaced, exactly once");
        Assert.That(dropped.All(x => x.Value < Items - Keys), Is.True, "the last value of each key is delivered");
        foreach (var group in delivered.GroupBy(x => x.Key))
        {
            Assert.That(group.Select(x => x.Value), Is.Ordered.Ascending, $"key {group.Key}");
        }

        Assert.That(counters.Delivered + counters.Dropped, Is.EqualTo(counters.Received));
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(32));
    }

    private static BackpressureBuffer<(string Key, int Value)> Keyed(int capacity, Action<(string Key, int Value)>? onDropped, BufferOverflow overflow = BufferOverflow.DropOldest) =>
        new(BufferPolicy<(string Key, int Value)>.LatestByKey(x => x.Key, capacity, overflow, onDropped, EqualityComparer<string>.Default, new TestScheduler(), null, null));

    private static (string Key, int Value) Read(BackpressureBuffer<(string Key, int Value)> buffer)
    {
        ValueTask<bool> read = buffer.ReadAsync();
        Assert.That(read.IsCompletedSuccessfully && read.Result, Is.True, "an item is held");
        return buffer.Current;
    }
}
