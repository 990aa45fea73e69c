using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// The consumer's span on its own: who gets each item (the consumer, an eviction, a stop), its conditional evictions,
/// and a keyed arrival's replacement in place of an item not taken yet.
/// </summary>
public sealed class ConsumerSpanTests
{
    [Test]
    public void Fill_MovesTheOldestItemsInOrder_UpToItsLength()
    {
        var storage = Storage(10);
        var span = new ConsumerSpan<int>(4);
        span.Fill(storage);

        Assert.That(span.Remaining, Is.EqualTo(4));
        Assert.That(storage.ToArray(), Is.EqualTo(new[] { 4, 5, 6, 7, 8, 9 }), "the rest stays in storage");
        Assert.That(span.ToArray(), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(TakeAll(span), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(span.TryTakeOldest(out _), Is.False, "used up");
    }

    [Test]
    public void Evictions_SucceedOnlyWhileTheCountIsTheOneTheDecisionSaw()
    {
        var span = new ConsumerSpan<int>(4);
        span.Fill(Storage(4));

        Assert.That(span.TryEvictOldest(3, out _), Is.False, "a stale count: the consumer took meanwhile, nothing evicted");
        Assert.That(span.TryEvictOldest(4, out int oldest), Is.True);
        Assert.That(oldest, Is.EqualTo(0));
        Assert.That(span.TryEvictNewest(4, out _), Is.False);
        Assert.That(span.TryEvictNewest(3, out int newest), Is.True);
        Assert.That(newest, Is.EqualTo(3));
        Assert.That(TakeAll(span), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(span.TryEvictOldest(0, out _), Is.False, "nothing to evict from an empty span");
    }

    [Test]
    public void TakeAll_LeavesNothingForTheConsumer()
    {
        var span = new ConsumerSpan<int>(8);
        span.Fill(Storage(5));
        Assert.That(span.TryTakeOldest(out int first), Is.True);
        Assert.That(first, Is.EqualTo(0));

        Assert.That(span.TakeAll(), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(span.Remaining, Is.Zero);
        Assert.That(span.TryTakeOldest(out _), Is.False);
        Assert.That(span.TakeAll(), Is.Empty);
    }

    [Test]
    public void ConsumerRacingEvictionsAndAStop_EachItemGoesToExactlyOneSide()
    {
        for (int round = 0; round < 2_000; round++)
        {
            var span = new ConsumerSpan<int>(32);
            span.Fill(Storage(32));
            var taken = new List<int>();
            var evicted = new List<int>();
            int[] leftOver = [];
            using var start = new Barrier(2);
            Task consumer = TakeAllWhenStarted(span, taken, start);

            start.SignalAndWait();
            for (int i = 0; i < 8; i++)
            {
                // As the buffer does: an eviction conditioned on the count it decided on, newest or oldest.
                int seen = span.Remaining;
                if (seen > 0 && ((i & 1) == 0 ? span.TryEvictOldest(seen, out int victim) : span.TryEvictNewest(seen, out victim)))
                {
                    evicted.Add(victim);
                }
            }

            leftOver = span.TakeAll();
            consumer.Wait();

            int[] all = [.. taken, .. evicted, .. leftOver];
            Assert.That(all.Order(), Is.EqualTo(Enumerable.Range(0, 32)), $"round {round}: every item exactly once");
            Assert.That(taken, Is.Ordered.Ascending);
        }
    }

    [Test]
    public void TryReplace_ReplacesOnlyAnItemStillInTheRun()
    {
        var span = new ConsumerSpan<int>(4);
        span.Fill(Storage(4));
        Assert.That(span.TryTakeOldest(out _), Is.True);
        Assert.That(span.TryEvictNewest(3, out _), Is.True);

        Assert.That(span.TryReplace(0, 100, out _), Is.False, "position 0 was taken");
        Assert.That(span.TryReplace(3, 103, out _), Is.False, "position 3 was evicted");
        Assert.That(span.TryReplace(2, 102, out int replaced), Is.True);
        Assert.That(replaced, Is.EqualTo(2));
        Assert.That(span.Remaining, Is.EqualTo(2), "a replacement does not change the count");
        Assert.That(span.Holds(1) && span.Holds(2) && !span.Holds(0) && !span.Holds(3), Is.True);
        Assert.That(TakeAll(span), Is.EqualTo(new[] { 1, 102 }), "the replaced value is delivered in the item's place");
    }

    [Test]
    public void ConsumerRacingReplacements_EachPositionDeliversOneValue_AndAReplacedValueIsNeverDelivered()
    {
        for (int round = 0; round < 2_000; round++)
        {
            var span = new ConsumerSpan<int>(32);
            span.Fill(Storage(32));
            var taken = new List<int>();
            var replaced = new List<int>();
            using var start = new Barrier(2);
            Task consumer = TakeAllWhenStarted(span, taken, start);

            // As the keyed buffer does, under its gate: replace the values of positions the consumer may be taking.
            start.SignalAndWait();
            for (int position = 0; position < 32; position++)
            {
                if (span.TryReplace(position, 1000 + position, out int old))
                {
                    replaced.Add(old);
                }
            }

            consumer.Wait();

            Assert.That(taken, Has.Count.EqualTo(32), $"round {round}: one value per position");
            for (int position = 0; position < 32; position++)
            {
                int expected = replaced.Contains(position) ? 1000 + position : position;
                Assert.That(taken[position], Is.EqualTo(expected), $"round {round}, position {position}: the replaced value is not delivered, its replacement is");
            }
        }
    }

    /// <summary>The consumer's side of a race: takes until the span is used up, from when both sides are at the barrier.</summary>
    private static Task TakeAllWhenStarted(ConsumerSpan<int> span, List<int> taken, Barrier start) => Task.Run(() =>
    {
        start.SignalAndWait();
        while (span.TryTakeOldest(out int item))
        {
            taken.Add(item);
        }
    });

    private static RingStorage<int> Storage(int count)
    {
        var storage = new RingStorage<int>(Math.Max(count, 1));
        for (int i = 0; i < count; i++)
        {
            storage.Enqueue(i);
        }

        return storage;
    }

    private static List<int> TakeAll(ConsumerSpan<int> span)
    {
        var items = new List<int>();
        while (span.TryTakeOldest(out int item))
        {
            items.Add(item);
        }

        return items;
    }
}
