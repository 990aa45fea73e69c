namespace Rx.Backpressure.Core;

/// <summary>The storage of every operator but LatestByKey: a <see cref="Ring{T}"/> of the items in arrival order.</summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class RingStorage<T> : ItemStorage<T>
{
    /// <summary>The items, oldest first. A mutable struct: used in place, never copied.</summary>
    private Ring<T> _ring;

    /// <summary>Initializes a new instance of the <see cref="RingStorage{T}"/> class. Allocates no slots.</summary>
    /// <param name="capacity">The exact bound.</param>
    public RingStorage(int capacity)
        : base(capacity)
    {
        _ring = new Ring<T>(capacity);
    }

    /// <inheritdoc/>
    public override int AllocatedLength => _ring.AllocatedLength;

    /// <inheritdoc/>
    public override bool TryReplace(T item, out T replaced)
    {
        replaced = default!;
        return false;
    }

    /// <inheritdoc/>
    public override void Enqueue(T item)
    {
        _ring.Enqueue(item);
        Count = _ring.Count;
    }

    /// <inheritdoc/>
    public override void EnqueueRange(T[] items, int count)
    {
        _ring.EnqueueRange(items, count);
        Count = _ring.Count;
    }

    /// <inheritdoc/>
    public override int MoveHeadInto(T[] slots, int count)
    {
        DequeueInto(slots, 0, count);
        return count;
    }

    /// <inheritdoc/>
    public override void DequeueInto(T[] destination, int start, int count)
    {
        _ring.DequeueRange(destination, start, count);
        Count = _ring.Count;
    }

    /// <inheritdoc/>
    public override T DequeueHead()
    {
        T item = _ring.DequeueHead();
        Count = _ring.Count;
        return item;
    }

    /// <inheritdoc/>
    public override T RemoveTail()
    {
        T item = _ring.RemoveTail();
        Count = _ring.Count;
        return item;
    }

    /// <inheritdoc/>
    public override T[] DrainToArray()
    {
        T[] items = _ring.DrainToArray();
        Count = 0;
        return items;
    }

    /// <inheritdoc/>
    public override T[] ToArray() => _ring.ToArray();

    /// <inheritdoc/>
    public override void AssertInvariants()
    {
        _ring.AssertInvariants();
        System.Diagnostics.Debug.Assert(Count == _ring.Count, "the cached count disagrees with the ring");
    }
}
