using System.Runtime.CompilerServices;

namespace Rx.Backpressure.Core;

/// <summary>
/// A value that one thread writes often and another thread never needs, kept on cache lines of its own: in the middle
/// of an array with at least <see cref="Size"/> bytes of padding on each side. Without it, the consumer writing its
/// current item on every take invalidated the line holding the fields the producer reads on every arrival (a cache
/// miss per item on each side, measured at a third of the pull shape's throughput).
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
internal static class CacheLine<T>
{
    /// <summary>The bytes of padding on each side: a cache line on the machines .NET runs on.</summary>
    internal const int Size = 64;

    /// <summary>The index of the value in an array from <see cref="Allocate"/>.</summary>
    internal static readonly int Index = (Size + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>();

    /// <summary>Allocates the array that holds one isolated value at <see cref="Index"/>.</summary>
    /// <returns>The array.</returns>
    internal static T[] Allocate() => new T[(2 * Index) + 1];
}
