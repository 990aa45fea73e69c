using System.Runtime.CompilerServices;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

/// <summary>The cell that keeps the consumer's current item on cache lines of its own.</summary>
public sealed class CacheLineTests
{
    [Test]
    public void TheCell_HasAtLeastACacheLineOfPaddingOnEachSide_AndNoMore()
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
