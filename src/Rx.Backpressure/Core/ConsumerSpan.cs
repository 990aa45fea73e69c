using System.Diagnostics;
using System.Threading;

namespace Rx.Backpressure.Core;

/// <summary>
/// The oldest buffered items, moved out of storage under the buffer's gate in one go so the consumer can take them one
/// at a time without the gate. They still belong to the buffer: they count against capacity, an eviction may take the
/// oldest or the newest of them back, and a stop reports them as left-overs.
/// </summary>
/// <remarks>
/// <para>
/// Who gets each item is settled by one compare-and-swap on <see cref="_cursor"/>, which packs the index of the next
/// item (low half) and the end of the run (high half): the consumer advances the index, an eviction of the oldest does
/// the same under the gate, an eviction of the newest lowers the end, and a stop moves the index to the end. An item is
/// therefore never both delivered and dropped, and the slot is cleared only by whoever won it. A keyed buffer may also
/// replace an item not taken yet (<see cref="TryReplace"/>): under the gate it marks the cursor <see cref="Replacing"/>,
/// which freezes it, writes the slot and restores the cursor. The consumer reads a slot only after its compare-and-swap
/// won it, and a marked cursor makes that compare-and-swap fail, so it never reads a slot being written, nor a value
/// that was replaced.
/// </para>
/// <para>
/// Invariant: <see cref="Remaining"/> only falls outside the gate (the consumer takes); it rises only in
/// <see cref="Fill"/>, which the consumer calls under the gate when the run is used up. So a count read under the gate
/// is an upper bound of the items still held, exact until the consumer's next take.
/// </para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ConsumerSpan<T>
{
    /// <summary>
    /// The longest run moved at once: enough to take the gate once per many items, small enough to be cheap to keep
    /// (allocated at the first fill, never while idle). The pump writes runs of the same length.
    /// </summary>
    internal const int MaxLength = 64;

    /// <summary>Set in <see cref="_cursor"/> while an item not taken yet is replaced in place; the consumer waits it out.</summary>
    private const long Replacing = 1L << 62;

    /// <summary>The bits of the end, after shifting the cursor right by 32.</summary>
    private const long EndMask = 0x3FFF_FFFF;

    /// <summary>The moved items; a slot is cleared by whoever takes it.</summary>
    private readonly T[] _slots;

    /// <summary>(end &lt;&lt; 32) | next. Both are indices into <see cref="_slots"/>; next == end when the run is used up.</summary>
    private long _cursor;

    /// <summary>Initializes a new instance of the <see cref="ConsumerSpan{T}"/> class.</summary>
    /// <param name="length">The longest run, at least 1.</param>
    public ConsumerSpan(int length)
    {
        Debug.Assert(length >= 1, "a span holds at least one item");
        _slots = new T[length];
    }

    /// <summary>Gets the number of items not taken yet. Exact under the gate until the consumer's next take.</summary>
    public int Remaining
    {
        get
        {
            long cursor = Volatile.Read(ref _cursor);
            return End(cursor) - Next(cursor);
        }
    }

    /// <summary>Gets the position of the next item to take (the consumer's, without the gate; exact until its next take or an eviction).</summary>
    public int NextPosition => Next(Volatile.Read(ref _cursor));

    /// <summary>Moves up to the span's length of the oldest items out of <paramref name="storage"/>. Under the gate, by the consumer, when used up.</summary>
    /// <param name="storage">The storage whose head items move, keeping their order.</param>
    public void Fill(ItemStorage<T> storage)
    {
        Debug.Assert(Remaining == 0, "a span is filled only when used up");
        int count = storage.MoveHeadInto(_slots, System.Math.Min(_slots.Length, storage.Count));
        Volatile.Write(ref _cursor, (long)count << 32);
    }

    /// <summary>Takes the oldest item: the consumer without the gate, or an eviction under it.</summary>
    /// <param name="item">The item taken.</param>
    /// <returns>False when the run is used up.</returns>
    public bool TryTakeOldest(out T item)
    {
        long cursor = Volatile.Read(ref _cursor);
        while (true)
        {
            if ((cursor & Replacing) != 0)
            {
                // A keyed arrival is replacing an item under the gate: a few stores, then the cursor is restored.
                Thread.SpinWait(1);
                cursor = Volatile.Read(ref _cursor);
                continue;
            }

            int next = Next(cursor);
            if (next == End(cursor))
            {
                item = default!;
                return false;
            }

            // The slot is read only once won: from then on nobody else writes it.
            long seen = Interlocked.CompareExchange(ref _cursor, cursor + 1, cursor);
            if (seen == cursor)
            {
                item = _slots[next];
                if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    _slots[next] = default!;
                }

                return true;
            }

            cursor = seen;
        }
    }

    /// <summary>
    /// Replaces the item at <paramref name="position"/> in place if it is still in the run (not taken, not evicted):
    /// a keyed arrival whose key's value the consumer has not been handed yet. Under the gate.
    /// </summary>
    /// <param name="position">The item's index, as filled.</param>
    /// <param name="item">The new value.</param>
    /// <param name="replaced">The value replaced.</param>
    /// <returns>False when the item is no longer in the run: the key is no longer held.</returns>
    public bool TryReplace(int position, T item, out T replaced)
    {
        long cursor = Volatile.Read(ref _cursor);
        while (true)
        {
            if (position < Next(cursor) || position >= End(cursor))
            {
                replaced = default!;
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _cursor, cursor | Replacing, cursor);
            if (seen == cursor)
            {
                break;
            }

            // The consumer took an item meanwhile; perhaps this one.
            cursor = seen;
        }

        replaced = _slots[position];
        _slots[position] = item;
        Volatile.Write(ref _cursor, cursor);
        return true;
    }

    /// <summary>Whether the item filled at <paramref name="position"/> is still in the run. Under the gate; the consumer may take it right after.</summary>
    /// <param name="position">The item's index, as filled.</param>
    /// <returns>False once it was taken or evicted, for good.</returns>
    public bool Holds(int position)
    {
        long cursor = Volatile.Read(ref _cursor);
        return position >= Next(cursor) && position < End(cursor);
    }

    /// <summary>
    /// Evicts the oldest item only if nothing was taken since the caller counted <paramref name="expected"/>
    /// remaining items (so the buffer is still as full as the caller decided). Under the gate.
    /// </summary>
    /// <param name="expected">The remaining count the caller's decision was based on; 0 evicts nothing.</param>
    /// <param name="item">The evicted item.</param>
    /// <returns>False when the consumer took an item meanwhile: there is room now, nothing is evicted.</returns>
    public bool TryEvictOldest(int expected, out T item)
    {
        long cursor = Volatile.Read(ref _cursor);
        int next = Next(cursor);
        if (expected > 0 && End(cursor) - next == expected && Interlocked.CompareExchange(ref _cursor, cursor + 1, cursor) == cursor)
        {
            item = _slots[next];
            _slots[next] = default!;
            return true;
        }

        item = default!;
        return false;
    }

    /// <summary>
    /// Evicts the newest item only if nothing was taken since the caller counted <paramref name="expected"/>
    /// remaining items. Under the gate.
    /// </summary>
    /// <param name="expected">The remaining count the caller's decision was based on; 0 evicts nothing.</param>
    /// <param name="item">The evicted item.</param>
    /// <returns>False when the consumer took an item meanwhile: there is room now, nothing is evicted.</returns>
    public bool TryEvictNewest(int expected, out T item)
    {
        long cursor = Volatile.Read(ref _cursor);
        int end = End(cursor);
        if (expected > 0 && end - Next(cursor) == expected && Interlocked.CompareExchange(ref _cursor, cursor - (1L << 32), cursor) == cursor)
        {
            item = _slots[end - 1];
            _slots[end - 1] = default!;
            return true;
        }

        item = default!;
        return false;
    }

    /// <summary>Takes every remaining item, oldest first (a stop). Under the gate; a concurrent take by the consumer either wins an item or finds none.</summary>
    /// <returns>The items, possibly none.</returns>
    public T[] TakeAll()
    {
        long cursor = Volatile.Read(ref _cursor);
        while (true)
        {
            int next = Next(cursor);
            int end = End(cursor);
            if (next == end)
            {
                return [];
            }

            long seen = Interlocked.CompareExchange(ref _cursor, ((long)end << 32) | (uint)end, cursor);
            if (seen == cursor)
            {
                var items = new T[end - next];
                System.Array.Copy(_slots, next, items, 0, items.Length);
                System.Array.Clear(_slots, next, items.Length);
                return items;
            }

            cursor = seen;
        }
    }

    /// <summary>Copies the remaining items, oldest first (tests and diagnostics). Under the gate.</summary>
    /// <returns>The items.</returns>
    public T[] ToArray()
    {
        long cursor = Volatile.Read(ref _cursor);
        var items = new T[End(cursor) - Next(cursor)];
        System.Array.Copy(_slots, Next(cursor), items, 0, items.Length);
        return items;
    }

    private static int Next(long cursor) => (int)(cursor & 0xFFFF_FFFF);

    private static int End(long cursor) => (int)((cursor >> 32) & EndMask);
}
