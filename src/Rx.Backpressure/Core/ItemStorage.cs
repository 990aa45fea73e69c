namespace Rx.Backpressure.Core;

/// <summary>
/// What <see cref="BackpressureBuffer{T}"/> needs from the place it keeps items: a bounded FIFO whose storage follows
/// the items held. Two kinds exist: <see cref="RingStorage{T}"/> (every operator but LatestByKey) and
/// <see cref="KeyedStorage{T, TKey}"/> (LatestByKey: one slot per key, in order of each key's first arrival). The
/// buffer decides everything — room, overflow, eviction, hand-off, pressure — against this surface, so a keyed
/// buffer keeps every rule of a plain one. Not thread-safe: the buffer guards it with its gate.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal abstract class ItemStorage<T> : ILaneTarget<T>
{
    /// <summary>The number of items held (see <see cref="Count"/>).</summary>
    private int _count;

    /// <summary>Initializes a new instance of the <see cref="ItemStorage{T}"/> class.</summary>
    /// <param name="capacity">The bound.</param>
    protected ItemStorage(int capacity)
    {
        Capacity = capacity;
    }

    /// <summary>Gets or sets the number of items held; kept by the storage on every change (a field, not a virtual call, on the hot path).</summary>
    public int Count
    {
        get => _count;
        protected set => _count = value;
    }

    /// <summary>Gets the number of items held, read without the gate: a hint, possibly stale by the time it is used.</summary>
    public int CountHint => System.Threading.Volatile.Read(ref _count);

    /// <summary>Gets the bound.</summary>
    public int Capacity { get; }

    /// <summary>Gets a value indicating whether <see cref="Count"/> equals <see cref="Capacity"/>.</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>Gets the number of slots allocated now (tests and diagnostics).</summary>
    public abstract int AllocatedLength { get; }

    /// <summary>
    /// Replaces the held value of an item's key in place, if the storage is keyed and the key is held. May run the
    /// key selector and the key comparer (user code that may throw; nothing is changed then).
    /// </summary>
    /// <param name="item">The arrival.</param>
    /// <param name="replaced">The value it replaced.</param>
    /// <returns>True if it replaced a held value; false if the arrival must be stored as a new item.</returns>
    public abstract bool TryReplace(T item, out T replaced);

    /// <summary>
    /// The arrival <see cref="TryReplace"/> looked up was not stored (dropped, or the buffer stopped): forget what the
    /// lookup kept for <see cref="Enqueue"/>, so nothing of a dropped arrival stays referenced.
    /// </summary>
    public virtual void ForgetLookup()
    {
    }

    /// <summary>Appends an item (for a keyed storage: a new key, after <see cref="TryReplace"/> returned false); must not be full.</summary>
    /// <param name="item">The item.</param>
    public abstract void Enqueue(T item);

    /// <summary>Appends <paramref name="count"/> items in order (not for a keyed storage); they must fit.</summary>
    /// <param name="items">The items, from index 0.</param>
    /// <param name="count">How many.</param>
    public virtual void EnqueueRange(T[] items, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Enqueue(items[i]);
        }
    }

    /// <inheritdoc/>
    void ILaneTarget<T>.AppendRange(T[] slots, int count) => EnqueueRange(slots, count);

    /// <summary>
    /// Moves the <paramref name="count"/> oldest items into <paramref name="slots"/>, oldest first: the consumer's
    /// span filling. A keyed storage keeps their keys, so an arrival can still replace a value there (see
    /// <see cref="AttachSpan"/>).
    /// </summary>
    /// <param name="slots">The span's slots.</param>
    /// <param name="count">How many, at most <see cref="Count"/>.</param>
    /// <returns><paramref name="count"/>.</returns>
    public virtual int MoveHeadInto(T[] slots, int count)
    {
        for (int i = 0; i < count; i++)
        {
            slots[i] = DequeueHead();
        }

        return count;
    }

    /// <summary>Removes the <paramref name="count"/> oldest items into <paramref name="destination"/>, oldest first (a batch taken at once).</summary>
    /// <param name="destination">Where they go.</param>
    /// <param name="start">The index the oldest goes to.</param>
    /// <param name="count">How many, at most <see cref="Count"/>.</param>
    public virtual void DequeueInto(T[] destination, int start, int count)
    {
        for (int i = 0; i < count; i++)
        {
            destination[start + i] = DequeueHead();
        }
    }

    /// <summary>Tells the storage which span its <see cref="MoveHeadInto"/> fills, once, when the buffer creates it.</summary>
    /// <param name="span">The consumer's span.</param>
    public virtual void AttachSpan(ConsumerSpan<T> span)
    {
    }

    /// <summary>The consumer used up its span (under the gate): a keyed storage forgets the keys it kept for it and may give storage back.</summary>
    public virtual void SpanUsedUp()
    {
    }

    /// <summary>Removes and returns the oldest item; must not be empty.</summary>
    /// <returns>The oldest item.</returns>
    public abstract T DequeueHead();

    /// <summary>Removes and returns the newest item; must not be empty.</summary>
    /// <returns>The newest item.</returns>
    public abstract T RemoveTail();

    /// <summary>Removes every item, oldest first, into a new array.</summary>
    /// <returns>The items that were held.</returns>
    public abstract T[] DrainToArray();

    /// <summary>Returns the items, oldest first, without removing them (tests and diagnostics).</summary>
    /// <returns>A copy of the held items.</returns>
    public abstract T[] ToArray();

    /// <summary>Throws unless the bookkeeping is consistent (debug builds).</summary>
    [System.Diagnostics.Conditional("DEBUG")]
    public abstract void AssertInvariants();
}
