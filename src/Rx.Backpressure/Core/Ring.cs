using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Rx.Backpressure.Core;

/// <summary>
/// A FIFO ring bounded by exactly the requested capacity (no rounding up), whose storage follows the items held:
/// it allocates nothing until the first item, doubles as items arrive up to the capacity, and gives a large
/// array back when it empties. Not thread-safe: the owning <see cref="BackpressureBuffer{T}"/> guards it with
/// its gate. A mutable struct: keep it in a field and never copy it.
/// </summary>
/// <remarks>
/// Invariants: <c>0 ≤ Count ≤ Capacity</c>; <c>Count ≤ _items.Length ≤ max(Capacity, 0)</c>; the items are
/// <c>_items[(_head + i) % _items.Length]</c> for <c>i &lt; Count</c>, oldest first; every other slot is default.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal struct Ring<T>
{
    /// <summary>The first allocation, in slots (or the capacity, if smaller).</summary>
    internal const int InitialLength = 4;

    /// <summary>Storage longer than this is released when the ring empties; shorter storage is kept for the next burst.</summary>
    internal const int RetainedLength = 1024;

    /// <summary>The bound: the ring never holds more items than this.</summary>
    private readonly int _capacity;

    /// <summary>The slots allocated so far; grows by doubling up to the capacity.</summary>
    private T[] _items;

    /// <summary>Index of the oldest item.</summary>
    private int _head;

    /// <summary>Number of items held.</summary>
    private int _count;

    /// <summary>Initializes a new instance of the <see cref="Ring{T}"/> struct. Allocates nothing.</summary>
    /// <param name="capacity">The exact bound, zero or more (up to <see cref="int.MaxValue"/>).</param>
    public Ring(int capacity)
    {
        _capacity = capacity;
        _items = [];
        _head = 0;
        _count = 0;
    }

    /// <summary>Gets the number of items held.</summary>
    public readonly int Count => _count;

    /// <summary>Gets the bound.</summary>
    public readonly int Capacity => _capacity;

    /// <summary>Gets a value indicating whether the ring holds <see cref="Capacity"/> items.</summary>
    public readonly bool IsFull => _count == _capacity;

    /// <summary>Gets the number of slots allocated now (tests and diagnostics).</summary>
    internal readonly int AllocatedLength => _items.Length;

    /// <summary>Appends an item; the ring must not be full.</summary>
    /// <param name="item">The item.</param>
    public void Enqueue(T item)
    {
        Debug.Assert(_count < _capacity, "Enqueue on a full ring.");
        T[] items = _items;
        if (_count == items.Length)
        {
            items = Grow();
        }

        int index = _head + _count;
        if (index >= items.Length)
        {
            index -= items.Length;
        }

        items[index] = item;
        _count++;
    }

    /// <summary>Appends <paramref name="count"/> items in order, copied from <paramref name="source"/>; they must fit.</summary>
    /// <param name="source">The items.</param>
    /// <param name="count">How many, from index 0.</param>
    public void EnqueueRange(T[] source, int count)
    {
        Debug.Assert(_count + count <= _capacity, "EnqueueRange past the capacity.");
        while (_items.Length - _count < count)
        {
            _ = Grow();
        }

        int tail = _head + _count;
        if (tail >= _items.Length)
        {
            tail -= _items.Length;
        }

        int first = Math.Min(count, _items.Length - tail);
        Array.Copy(source, 0, _items, tail, first);
        Array.Copy(source, first, _items, 0, count - first);
        _count += count;
    }

    /// <summary>Moves the <paramref name="count"/> oldest items into <paramref name="destination"/>, oldest first; they must be held.</summary>
    /// <param name="destination">Where they go.</param>
    /// <param name="start">The index of <paramref name="destination"/> the oldest goes to.</param>
    /// <param name="count">How many.</param>
    public void DequeueRange(T[] destination, int start, int count)
    {
        Debug.Assert(count <= _count, "DequeueRange past the items held.");
        if (count == 0)
        {
            return;
        }

        int first = Math.Min(count, _items.Length - _head);
        Array.Copy(_items, _head, destination, start, first);
        Array.Copy(_items, 0, destination, start + first, count - first);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            // Only a slot that can keep an object alive is cleared (as Queue<T> does): clearing a value-only slot
            // would write a line the producer is about to write, for nothing.
            Array.Clear(_items, _head, first);
            Array.Clear(_items, 0, count - first);
        }

        _head += count;
        if (_head >= _items.Length)
        {
            _head -= _items.Length;
        }

        _count -= count;
        if (_count == 0)
        {
            Emptied();
        }
    }

    /// <summary>Removes and returns the oldest item; the ring must not be empty.</summary>
    /// <returns>The oldest item.</returns>
    public T DequeueHead()
    {
        Debug.Assert(_count > 0, "Dequeue on an empty ring.");
        T[] items = _items;
        T item = items[_head];
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            items[_head] = default!;
        }

        _head = _head + 1 == items.Length ? 0 : _head + 1;
        if (--_count == 0)
        {
            Emptied();
        }

        return item;
    }

    /// <summary>Returns a reference to the item <paramref name="offset"/> places after the oldest; it must be held.</summary>
    /// <param name="offset">0 for the oldest, <c>Count - 1</c> for the newest.</param>
    /// <returns>A reference to the slot.</returns>
    public readonly ref T At(int offset)
    {
        Debug.Assert(offset >= 0 && offset < _count, "At outside the held items.");
        int index = _head + offset;
        if (index >= _items.Length)
        {
            index -= _items.Length;
        }

        return ref _items[index];
    }

    /// <summary>Removes and returns the newest item; the ring must not be empty.</summary>
    /// <returns>The newest item.</returns>
    public T RemoveTail()
    {
        Debug.Assert(_count > 0, "RemoveTail on an empty ring.");
        int index = _head + _count - 1;
        if (index >= _items.Length)
        {
            index -= _items.Length;
        }

        T item = _items[index];
        _items[index] = default!;
        if (--_count == 0)
        {
            Emptied();
        }

        return item;
    }

    /// <summary>Moves every item, oldest first, out of the ring into a new array and empties the ring.</summary>
    /// <returns>The items that were held.</returns>
    public T[] DrainToArray()
    {
        if (_count == 0)
        {
            return [];
        }

        T[] result = ToArray();
        _items = [];
        _head = 0;
        _count = 0;
        return result;
    }

    /// <summary>Returns the items, oldest first, without removing them (for tests and diagnostics).</summary>
    /// <returns>A copy of the held items.</returns>
    public readonly T[] ToArray()
    {
        var result = new T[_count];
        int first = Math.Min(_count, _items.Length - _head);
        Array.Copy(_items, _head, result, 0, first);
        Array.Copy(_items, 0, result, first, _count - first);
        return result;
    }

    /// <summary>Throws unless the ring's bookkeeping is consistent (debug builds).</summary>
    [Conditional("DEBUG")]
    public readonly void AssertInvariants()
    {
        Debug.Assert(_count >= 0 && _count <= _capacity, "count out of range");
        Debug.Assert(_count <= _items.Length && _items.Length <= _capacity, "storage out of range");
        Debug.Assert(_items.Length == 0 || (_head >= 0 && _head < _items.Length), "head out of range");
    }

    /// <summary>Doubles the storage (at least <see cref="InitialLength"/>, at most the capacity), oldest item first.</summary>
    private T[] Grow()
    {
        int length = _items.Length == 0 ? InitialLength : _items.Length * 2;
        if ((uint)length > (uint)Math.Min(_capacity, Array.MaxLength))
        {
            length = Math.Min(_capacity, Array.MaxLength);
        }

        var items = new T[length];
        if (_count > 0)
        {
            int first = Math.Min(_count, _items.Length - _head);
            Array.Copy(_items, _head, items, 0, first);
            Array.Copy(_items, 0, items, first, _count - first);
        }

        _items = items;
        _head = 0;
        return items;
    }

    /// <summary>The ring just became empty: give large storage back, so an idle buffer costs what a small one does.</summary>
    private void Emptied()
    {
        _head = 0;
        if (_items.Length > RetainedLength)
        {
            _items = [];
        }
    }
}
