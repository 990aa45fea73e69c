using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// The producer's lane on its own: credit bounds the appends, a move keeps the order and the credit, a close takes the
/// credit back, and under races (two producers at once, moves and closes under a lock) each item lands exactly once.
/// </summary>
public sealed class ProducerLaneTests
{
    [Test]
    public void Tags_AreSetByEachAppend_AndClearedWhenTheLaneMoves()
    {
        var lane = default(ProducerLane<int>);
        var storage = new RingStorage<int>(64);
        lane.Grant(8);
        Assert.That(Enumerable.Range(0, ProducerLane<int>.TagBits).Any(lane.MayHold), Is.False, "an empty lane holds no tag");

        Assert.That(lane.TryAppend(1, null, 3), Is.True);
        Assert.That(lane.TryAppend(2, null, 200), Is.True);
        Assert.That(Enumerable.Range(0, ProducerLane<int>.TagBits).Where(lane.MayHold), Is.EqualTo(new[] { 3, 200 }));

        lane.MoveTo(storage);
        Assert.That(Enumerable.Range(0, ProducerLane<int>.TagBits).Any(lane.MayHold), Is.False, "the moved arrivals' tags are gone");
        Assert.That(lane.TryAppend(3, null, 64), Is.True);
        lane.Close(storage);
        Assert.That(lane.MayHold(64), Is.False);
        Assert.That(storage.ToArray(), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [Test]
    public void WithoutCredit_NothingIsAppended()
    {
        var lane = default(ProducerLane<int>);
        var counters = new BackpressureCounters();

        Assert.That(lane.TryAppend(1, counters), Is.False, "a new lane has no credit");
        lane.Grant(0);
        Assert.That(lane.TryAppend(1, counters), Is.False);
        lane.Grant(-5);
        Assert.That(lane.TryAppend(1, counters), Is.False, "room below zero grants nothing");
        Assert.That(counters.Received, Is.Zero, "an arrival that was not appended is not counted");
    }

    [Test]
    public void Credit_BoundsTheAppends_AndEachAppendIsCountedAsBuffered()
    {
        var lane = default(ProducerLane<int>);
        var counters = new BackpressureCounters();
        lane.Grant(3);

        Assert.That(Enumerable.Range(0, 5).Select(i => lane.TryAppend(i, counters)), Is.EqualTo(new[] { true, true, true, false, false }));
        Assert.That(lane.Count, Is.EqualTo(3));
        Assert.That(lane.Credit, Is.Zero);
        Assert.That(counters.Received, Is.EqualTo(3));
        Assert.That(counters.Buffered, Is.EqualTo(3));
    }

    [Test]
    public void Credit_NeverExceedsTheLanesLength()
    {
        var lane = default(ProducerLane<int>);
        lane.Grant(int.MaxValue);

        Assert.That(lane.Credit, Is.EqualTo(ProducerLane<int>.Length));
        for (int i = 0; i < ProducerLane<int>.Length; i++)
        {
            Assert.That(lane.TryAppend(i, null), Is.True);
        }

        Assert.That(lane.TryAppend(-1, null), Is.False, "a full lane takes no more, whatever the room");
        lane.Grant(int.MaxValue);
        Assert.That(lane.Credit, Is.Zero, "a grant counts the items still in the lane");
    }

    [Test]
    public void Grant_CountsTheItemsStillInTheLane()
    {
        var lane = default(ProducerLane<int>);
        lane.Grant(10);
        lane.TryAppend(0, null);
        lane.TryAppend(1, null);

        lane.Grant(5);

        Assert.That(lane.Credit, Is.EqualTo(3), "room for 5 held items, 2 of them already appended");
        Assert.That(lane.CountAndCredit, Is.EqualTo(5));
    }

    [Test]
    public void MoveTo_MovesOldestFirst_BehindTheStoredItems_AndKeepsTheCredit()
    {
        var lane = default(ProducerLane<int>);
        var storage = new RingStorage<int>(100);
        storage.Enqueue(-1);
        lane.Grant(10);
        for (int i = 0; i < 4; i++)
        {
            lane.TryAppend(i, null);
        }

        Assert.That(lane.MoveTo(storage), Is.EqualTo(4));

        Assert.That(storage.ToArray(), Is.EqualTo(new[] { -1, 0, 1, 2, 3 }));
        Assert.That(lane.Count, Is.Zero);
        Assert.That(lane.Credit, Is.EqualTo(6), "a move leaves the credit as it was");
        Assert.That(lane.TryAppend(4, null), Is.True);
        Assert.That(lane.MoveTo(storage), Is.EqualTo(1));
        Assert.That(storage.ToArray()[^1], Is.EqualTo(4));
    }

    [Test]
    public void Close_MovesTheItems_AndTakesTheCreditBack()
    {
        var lane = default(ProducerLane<int>);
        var storage = new RingStorage<int>(100);
        lane.Grant(10);
        lane.TryAppend(7, null);

        Assert.That(lane.Close(storage), Is.EqualTo(1));

        Assert.That(storage.ToArray(), Is.EqualTo(new[] { 7 }));
        Assert.That(lane.CountAndCredit, Is.Zero);
        Assert.That(lane.TryAppend(8, null), Is.False, "after a close, an arrival takes the locked path");
        Assert.That(lane.Close(storage), Is.Zero);
    }

    [Test]
    public void AMovedItem_IsNoLongerReferencedByTheLane()
    {
        var lane = default(ProducerLane<object>);
        var storage = new RingStorage<object>(10);
        lane.Grant(10);
        WeakReference appended = AppendNew(ref lane);

        MoveAndDiscard(ref lane, storage);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.That(appended.IsAlive, Is.False, "the lane's slot was cleared by the move");
        GC.KeepAlive(lane);
    }

    [Test]
    public async Task TwoProducersAtOnce_MovesAndClosesUnderALock_EachItemLandsExactlyOnce_InEachProducersOrder()
    {
        // Two producers (a contract violation the buffer survives) append while a third thread, under a lock, moves,
        // closes and grants. A producer whose append fails stands for the locked path: it puts its item in storage
        // under the same lock. Each item must land once, and each producer's items in its order.
        for (int round = 0; round < 2_000; round++)
        {
            var lane = default(ProducerLane<int>);
            var storage = new RingStorage<int>(10_000);
            var gate = new object();
            var counters = new BackpressureCounters();
            int perProducer = 300;
            using var start = new Barrier(3);

            void Produce(int first)
            {
                start.SignalAndWait();
                for (int i = first; i < first + perProducer; i++)
                {
                    if (!lane.TryAppend(i, counters))
                    {
                        lock (gate)
                        {
                            lane.Close(storage);
                            storage.Enqueue(i);
                            counters.ReceivedAndBuffered();
                            lane.Grant(10_000 - storage.Count);
                        }
                    }
                }
            }

            var random = new Random(round);
            Task producerA = Task.Run(() => Produce(0));
            Task producerB = Task.Run(() => Produce(100_000));
            Task mover = Task.Run(() =>
            {
                start.SignalAndWait();
                while (!producerA.IsCompleted || !producerB.IsCompleted)
                {
                    lock (gate)
                    {
                        switch (random.Next(3))
                        {
                            case 0: lane.MoveTo(storage); break;
                            case 1: lane.Close(storage); break;
                            default: lane.Grant(random.Next(-2, 40)); break;
                        }
                    }
                }
            });
            await Task.WhenAll(producerA, producerB, mover);
            lane.Close(storage);

            int[] landed = storage.ToArray();
            Assert.That(landed, Is.Unique, $"round {round}: no item twice");
            Assert.That(landed.Length, Is.EqualTo(2 * perProducer), $"round {round}: no item lost");
            Assert.That(landed.Where(i => i < 100_000), Is.Ordered.Ascending, $"round {round}: producer A's order");
            Assert.That(landed.Where(i => i >= 100_000), Is.Ordered.Ascending, $"round {round}: producer B's order");
            Assert.That(counters.Received, Is.EqualTo(2 * perProducer), $"round {round}: every item counted once");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MoveAndDiscard(ref ProducerLane<object> lane, RingStorage<object> storage)
    {
        Assert.That(lane.MoveTo(storage), Is.EqualTo(1));
        Assert.That(storage.DrainToArray(), Has.Length.EqualTo(1));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AppendNew(ref ProducerLane<object> lane)
    {
        var item = new object();
        Assert.That(lane.TryAppend(item, null), Is.True);
        return new WeakReference(item);
    }
}
