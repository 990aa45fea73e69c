using System.Linq;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

public sealed class RingTests
{
    [Test]
    public void Ring_IsFifoAcrossWrapAround([Values(1, 2, 3, 7)] int capacity)
    {
        var ring = new Ring<int>(capacity);
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 10; round++)
        {
            while (ring.Count < capacity)
            {
                ring.Enqueue(next++);
            }

            Assert.That(ring.ToArray(), Is.EqualTo(Enumerable.Range(expected, capacity)));
            for (int i = 0; i < (capacity + 1) / 2; i++)
            {
                Assert.That(ring.DequeueHead(), Is.EqualTo(expected++));
            }
        }
    }

    [Test]
    public void Ring_RemoveTail_TakesTheNewest()
    {
        var ring = new Ring<int>(3);
        ring.Enqueue(1);
        ring.Enqueue(2);
        Assert.That(ring.DequeueHead(), Is.EqualTo(1));
        ring.Enqueue(3);
        ring.Enqueue(4);

        Assert.That(ring.RemoveTail(), Is.EqualTo(4));
        Assert.That(ring.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(ring.DrainToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(ring.Count, Is.Zero);
    }

    [Test]
    public void Ring_CapacityIsExact([Values(0, 1, 5, 1000)] int capacity)
    {
        var ring = new Ring<int>(capacity);
        Assert.That(ring.Capacity, Is.EqualTo(capacity));
    }

    [Test]
    public void Ring_Ranges_AgreeWithItemByItem_AcrossWrapAroundAndGrowth([Values(5, 64, 3000)] int capacity)
    {
        // A reference ring fed item by item and one fed in ranges, with a random mix of run lengths: same items, same order.
        var random = new System.Random(capacity);
        var ring = new Ring<int>(capacity);
        var reference = new System.Collections.Generic.Queue<int>();
        int next = 0;
        for (int step = 0; step < 2_000; step++)
        {
            if (random.Next(2) == 0)
            {
                int count = random.Next(0, System.Math.Min(40, capacity - ring.Count) + 1);
                int[] run = Enumerable.Range(next, count).Concat(new[] { -1, -1 }).ToArray();
                next += count;
                ring.EnqueueRange(run, count);
                foreach (int item in run.Take(count))
                {
                    reference.Enqueue(item);
                }
            }
            else
            {
                int count = random.Next(0, System.Math.Min(40, ring.Count) + 1);
                int start = random.Next(3);
                int[] slots = new int[start + count + 2];
                ring.DequeueRange(slots, start, count);
                Assert.That(slots.Skip(start).Take(count), Is.EqualTo(Enumerable.Range(0, count).Select(_ => reference.Dequeue())), $"step {step}");
                Assert.That(slots.Take(start).Concat(slots.Skip(start + count)), Is.All.Zero, "nothing written outside the range");
            }

            Assert.That(ring.Count, Is.EqualTo(reference.Count));
            ring.AssertInvariants();
        }

        Assert.That(ring.ToArray(), Is.EqualTo(reference.ToArray()));
    }

    [Test]
    public void Ring_DequeueRange_ClearsTheSlots_AndGivesLargeStorageBackWhenEmptied()
    {
        var ring = new Ring<object>(5000);
        System.WeakReference first = FillAndTakeTheFirst(ref ring);
        System.GC.Collect();
        System.GC.WaitForPendingFinalizers();
        Assert.That(first.IsAlive, Is.False, "a dequeued item is not referenced by the ring");

        ring.DequeueRange(new object[2999], 0, 2999);
        Assert.That(ring.Count, Is.Zero);
        Assert.That(ring.AllocatedLength, Is.Zero, "storage past the retained length is given back");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static System.WeakReference FillAndTakeTheFirst(ref Ring<object> ring)
    {
        object[] items = Enumerable.Range(0, 3000).Select(_ => new object()).ToArray();
        ring.EnqueueRange(items, items.Length);
        Assert.That(ring.AllocatedLength, Is.GreaterThanOrEqualTo(3000));
        var weak = new System.WeakReference(items[0]);
        ring.DequeueRange(new object[1], 0, 1);
        return weak;
    }
}
