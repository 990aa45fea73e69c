using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// The consumer's spin before it waits: how its length adapts, that it is off in virtual time, and that a read which
/// spins in vain still waits and is woken by the next arrival. Plus the cache-line cell that keeps the consumer's
/// current item away from the fields the producer reads.
/// </summary>
public sealed class ConsumerSpinTests
{
    private const int Min = BackpressureBuffer<int>.MinSpinRounds;
    private const int Max = BackpressureBuffer<int>.MaxSpinRounds;

    [TestCase(8, 0, 8, TestName = "an arrival found at once keeps the length")]
    [TestCase(8, 3, 16, TestName = "an arrival waited for doubles the length")]
    [TestCase(Max, 5, Max, TestName = "doubling stops at the most")]
    [TestCase(8, 8, 4, TestName = "a spin that saw nothing halves the length")]
    [TestCase(Min, Min, Min, TestName = "halving stops at the least")]
    public void NextSpinRounds_FollowsWhatTheLastSpinSaw(int rounds, int spun, int expected)
    {
        Assert.That(BackpressureBuffer<int>.NextSpinRounds(rounds, spun), Is.EqualTo(expected));
    }

    [Test]
    public void NextSpinRounds_StaysBetweenTheLeastAndTheMost()
    {
        for (int rounds = Min; rounds <= Max; rounds++)
        {
            for (int spun = 0; spun <= rounds; spun++)
            {
                Assert.That(BackpressureBuffer<int>.NextSpinRounds(rounds, spun), Is.InRange(Min, Max), $"rounds {rounds}, spun {spun}");
            }
        }
    }

    [Test]
    public void InVirtualTime_TheConsumerNeverSpins()
    {
        // The producer runs inside the scheduler's actions, on the consumer's thread: spinning could only waste time.
        var buffer = new BackpressureBuffer<int>(BufferPolicy<int>.BufferBounded(8, BufferOverflow.Wait, null, new TestScheduler(), null, null));

        ValueTask<bool> read = buffer.ReadAsync();

        Assert.That(buffer.SpinRounds, Is.Zero);
        Assert.That(read.IsCompleted, Is.False, "with nothing held, the read waits");
        buffer.Write(7);
        Assert.That(read.IsCompletedSuccessfully && read.Result, Is.True);
        Assert.That(buffer.Current, Is.EqualTo(7));
    }

    [Test]
    public async Task OnRealThreads_AReadThatSpinsInVain_WaitsAndIsWokenByTheNextArrival()
    {
        Assume.That(Environment.ProcessorCount, Is.GreaterThan(1), "on one core the consumer never spins");
        var buffer = new BackpressureBuffer<int>(BufferPolicy<int>.BufferBounded(8, BufferOverflow.Wait, null, null, null, null));
        Assert.That(buffer.SpinRounds, Is.EqualTo(Min), "a new buffer spins the least");

        ValueTask<bool> read = buffer.ReadAsync();

        Assert.That(read.IsCompleted, Is.False, "nothing arrived during the spin: the read waits");
        Assert.That(buffer.SpinRounds, Is.EqualTo(Min), "a spin that saw nothing does not lengthen the next");
        await Task.Run(() => buffer.Write(42));
        Assert.That(await read, Is.True);
        Assert.That(buffer.Current, Is.EqualTo(42));
    }

    [Test]
    public async Task OnRealThreads_ItemsHeldAreReadWithoutSpinning_InOrder()
    {
        var buffer = new BackpressureBuffer<int>(BufferPolicy<int>.BufferBounded(64, BufferOverflow.Wait, null, null, null, null));
        for (int i = 0; i < 50; i++)
        {
            buffer.Write(i);
        }

        int rounds = buffer.SpinRounds;
        for (int i = 0; i < 50; i++)
        {
            ValueTask<bool> read = buffer.ReadAsync();
            Assert.That(read.IsCompletedSuccessfully, Is.True, $"item {i} is held: the read completes at once");
            Assert.That(await read, Is.True);
            Assert.That(buffer.Current, Is.EqualTo(i));
        }

        Assert.That(buffer.SpinRounds, Is.EqualTo(rounds), "reads that found items taught the spin nothing");
    }

    [Test]
    public void CacheLineCell_HasAtLeastACacheLineOfPaddingOnEachSide()
    {
        AssertPadded<byte>();
        AssertPadded<int>();
        AssertPadded<long>();
        AssertPadded<object>();
        AssertPadded<(long, long, long, long, long, long, long, long, long)>();
    }

    private static void AssertPadded<T>()
    {
        int size = Unsafe.SizeOf<T>();
        T[] cell = CacheLine<T>.Allocate();
        int index = CacheLine<T>.Index;

        Assert.That(index * size, Is.GreaterThanOrEqualTo(CacheLine<T>.Size), $"{typeof(T)}: padding before the value");
        Assert.That((cell.Length - 1 - index) * size, Is.GreaterThanOrEqualTo(CacheLine<T>.Size), $"{typeof(T)}: padding after the value");
        Assert.That(cell.Length * size, Is.LessThanOrEqualTo((2 * CacheLine<T>.Size) + (3 * size)), $"{typeof(T)}: no more padding than needed");
    }
}
