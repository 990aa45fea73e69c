using System.Diagnostics;

namespace Rx.Backpressure.Core;

/// <summary>
/// A fixed-capacity FIFO ring of exactly the requested capacity (no rounding up). Not thread-safe: the
/// owning <see cref="BackpressureBuffer{T}"/> guards it with its gate. A mutable struct: keep it in a field
/// and never copy it.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal struct Ring<T>
{
    /// <summary>The slots; its length is the capacity.</summary>
    private readonly T[] _items;

    /// <summary>Index of the oldest item.</summary>
    private int _head;

    /// <summary>Number of items held.</summary>
    private int _count;

    /// <summary>Initializes a new instance of the <see cref="Ring{T}"/> struct.</summary>
    /// <param name="capacity">The exact number of slots, zero or more.</param>
    public Ring(int capacity)
    {
        _items = capacity == 0 ? [] : new T[capacity];
        _head = 0;
        _count = 0;
    }

    /// <summary>Gets the number of items held.</summary>
    public readonly int Count => _count;

    /// <summary>Gets the number of slots.</summary>
    public readonly int Capacity => _items.Length;

    /// <summary>Appends an item; the ring must not be full.</summary>
    /// <param name="item">The item.</param>
    public void Enqueue(T item)
    {
        Debug.Assert(_count < _items.Length, "Enqueue on a full ring.");
        int index = _head + _count;
        if (index >= _items.Length)
        {
            index -= _items.Length;
        }

        _items[index] = item;
        _count++;
    }

    /// <summary>Removes and returns the oldest item; the ring must not be empty.</summary>
    /// <returns>The oldest item.</returns>
    public T DequeueHead()
    {
        Debug.Assert(_count > 0, "Dequeue on an empty ring.");
        T item = _items[_head];
        _items[_head] = default!;
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        _count--;
        return item;
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
        _count--;
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

        var result = new T[_count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = DequeueHead();
        }

        return result;
    }

    /// <summary>Returns the items, oldest first, without removing them (for tests and diagnostics).</summary>
    /// <returns>A copy of the held items.</returns>
    public readonly T[] ToArray()
    {
        var result = new T[_count];
        for (int i = 0; i < _count; i++)
        {
            int index = _head + i;
            result[i] = _items[index >= _items.Length ? index - _items.Length : index];
        }

        return result;
    }

    /// <summary>Throws unless the ring's bookkeeping is consistent (debug builds).</summary>
    [Conditional("DEBUG")]
    public readonly void AssertInvariants()
    {
        Debug.Assert(_count >= 0 && _count <= _items.Length, "count out of range");
        Debug.Assert(_items.Length == 0 || (_head >= 0 && _head < _items.Length), "head out of range");
    }
}
