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
}
