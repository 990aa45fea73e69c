using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Contract;

/// <summary>Capacity is a bound, not an allocation: memory follows the items held, any capacity up to int.MaxValue is valid.</summary>
public sealed class CapacityTests
{
    [Test]
    public void Ring_AllocatesNothingUntilTheFirstItem_ThenGrowsWithTheItemsHeld_UpToExactlyTheCapacity()
    {
        var ring = new Ring<int>(1000);
        Assert.That(ring.AllocatedLength, Is.Zero);

        ring.Enqueue(1);
        Assert.That(ring.AllocatedLength, Is.EqualTo(Ring<int>.InitialLength));

        for (int i = 2; i <= 1000; i++)
        {
            ring.Enqueue(i);
            Assert.That(ring.AllocatedLength, Is.LessThanOrEqualTo(Math.Max(Ring<int>.InitialLength, 2 * i)));
        }

        Assert.That(ring.AllocatedLength, Is.EqualTo(1000), "the last growth stops at the capacity, no rounding up");
        Assert.That(ring.IsFull, Is.True);
        Assert.That(ring.ToArray(), Is.EqualTo(Enumerable.Range(1, 1000)));
    }

    [Test]
    public void Ring_GrowsAcrossTheWrapAround_KeepingTheOrder()
    {
        var ring = new Ring<int>(100);
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 50; round++)
        {
            // Take a few, then add more than were taken: the head wraps while the storage grows.
            for (int i = 0; i < round % 3 && ring.Count > 0; i++)
            {
                Assert.That(ring.DequeueHead(), Is.EqualTo(expected++));
            }

            for (int i = 0; i < 3 && !ring.IsFull; i++)
            {
                ring.Enqueue(next++);
            }

            ring.AssertInvariants();
        }

        Assert.That(ring.ToArray(), Is.EqualTo(Enumerable.Range(expected, next - expected)));
    }

    [Test]
    public void Ring_ReleasesLargeStorageWhenItEmpties_KeepsSmallStorage()
    {
        var large = new Ring<int>(100_000);
        for (int i = 0; i < 5_000; i++)
        {
            large.Enqueue(i);
        }

        while (large.Count > 0)
        {
            large.DequeueHead();
        }

        Assert.That(large.AllocatedLength, Is.Zero, "an idle buffer after a surge costs what an idle small one does");

        var small = new Ring<int>(100_000);
        for (int i = 0; i < 100; i++)
        {
            small.Enqueue(i);
        }

        while (small.Count > 0)
        {
            small.DequeueHead();
        }

        Assert.That(small.AllocatedLength, Is.GreaterThan(0), "small storage is kept for the next burst: no allocation in steady state");
    }

    [Test]
    public async Task IdleEnumerator_CostsTheSameWhateverItsCapacity()
    {
        long small = await IdleCostAsync(16);
        long medium = await IdleCostAsync(1024);
        long huge = await IdleCostAsync(10_000_000);
        long max = await IdleCostAsync(int.MaxValue);

        TestContext.Out.WriteLine($"idle enumerator: {small} B at capacity 16, {medium} B at 1024, {huge} B at 10,000,000, {max} B at int.MaxValue");
        Assert.That(medium, Is.EqualTo(small), "capacity 1024 costs what capacity 16 costs");
        Assert.That(huge, Is.EqualTo(small));
        Assert.That(max, Is.EqualTo(small));
        Assert.That(small, Is.LessThan(1024), "an idle, subscribed enumerator costs less than 1 KB");
    }

    [Test]
    public async Task BufferBounded_IntMaxValue_IsAnEffectivelyUnboundedBufferThatStillCounts([Values(false, true)] bool pullShape)
    {
        var counters = new BackpressureCounters();
        var scheduler = new TestScheduler();
        IAsyncEnumerable<int> sequence = pullShape
            ? AsyncEnumerable.Range(1, 10_000).BufferBounded(int.MaxValue, BufferOverflow.Error, scheduler: scheduler, counters: counters)
            : System.Reactive.Linq.Observable.Range(1, 10_000).BufferBounded(int.MaxValue, scheduler: scheduler, counters: counters);

        var items = new List<int>();
        await foreach (int x in sequence)
        {
            items.Add(x);
        }

        Assert.That(items, Is.EqualTo(Enumerable.Range(1, 10_000)));
        Assert.That(counters.Delivered, Is.EqualTo(10_000));
        Assert.That(counters.Dropped, Is.Zero);
    }

    [Test]
    public void DropWhenFull_HugeCapacity_MemoryFollowsTheItemsHeld()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var enumerator = (BackpressureEnumerator<int>)subject.DropWhenFull(10_000_000, scheduler: scheduler).GetAsyncEnumerator();
        _ = enumerator.MoveNextAsync();
        subject.OnNext(0);   // handed to the waiting consumer
        for (int i = 1; i <= 100; i++)
        {
            subject.OnNext(i);
        }

        Assert.That(enumerator.AllocatedSlots, Is.InRange(100, 2 * 100), "storage for the 100 items held, not for 10,000,000");
    }

    [Test]
    public void ThrottleOnPressure_HugeHighWatermark_DefaultCapacitySaturates()
    {
        var subject = new Subject<int>();

        Assert.That(() => subject.ThrottleOnPressure(1_500_000_000, 0), Throws.Nothing);
        Assert.That(() => subject.ThrottleOnPressure(int.MaxValue, int.MaxValue - 1), Throws.Nothing);
        Assert.That(() => subject.ThrottleOnPressure(10, 0, capacity: 9), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
    }

    /// <summary>Bytes allocated on this thread to create, start (subscribe) and leave idle one DropWhenFull enumerator.</summary>
    private static async Task<long> IdleCostAsync(int capacity)
    {
        var subject = new Subject<int>();
        var scheduler = new TestScheduler();
        IAsyncEnumerable<int> sequence = subject.DropWhenFull(capacity, scheduler: scheduler);

        // Warm up once (JIT, statics), then measure.
        await MeasureAsync(sequence);
        return await MeasureAsync(sequence);

        static async Task<long> MeasureAsync(IAsyncEnumerable<int> sequence)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            IAsyncEnumerator<int> e = sequence.GetAsyncEnumerator();
            ValueTask<bool> pending = e.MoveNextAsync();
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.That(pending.IsCompleted, Is.False, "idle: waiting for an item");
            await e.DisposeAsync();
            Assert.That(async () => await pending, Throws.InstanceOf<OperationCanceledException>());
            return after - before;
        }
    }
}
