using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Rx.Backpressure.Core;

/// <summary>
/// The newest arrivals, appended by the producer without the buffer's gate. A section under the gate moves them into
/// storage, behind the items already there, before it looks at the items held. They are held from the moment they are
/// appended: counted as received, counted against capacity and watermarks, reported at a stop.
/// </summary>
/// <remarks>
/// <para>
/// An append needs <em>credit</em>, which a producer's section grants under the gate: the number of arrivals that, one
/// after another, would each only be buffered by the locked path, with no effect beyond that. The buffer stays below
/// its capacity and below the high watermark, and nobody waits for an item, so none of them fills the buffer, turns
/// pressure on, or must be handed to a waiting consumer. Only the consumer's takes change the held count beside the
/// producer, and they lower it, so the credit stays valid until the gate takes it back. Sections that change what an
/// arrival would do (a consumer about to wait, a stop, the end) take the credit back with <see cref="Close"/> first.
/// </para>
/// <para>
/// One word, <see cref="_state"/>, holds the end of the run, the credit and a busy bit. An append claims the busy bit
/// with one compare-and-swap, writes its slot, and releases the bit with the credit lowered and the end raised. A move
/// into storage or a change of credit claims the same bit, so it waits for an append in progress and none can start
/// meanwhile. A second producer calling at the same time (a violation of Rx's contract) finds the bit claimed and
/// takes the locked path: nothing is lost or written twice.
/// </para>
/// <para>
/// A mutable struct, kept in the buffer and used in place (never copied), so an append touches the buffer and the
/// slots and nothing else. The slots are allocated at the first grant of credit.
/// </para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal struct ProducerLane<T>
{
    /// <summary>The most arrivals appended between two sections under the gate, unless the owner asks for another length.</summary>
    internal const int Length = 32;

    /// <summary>The longest lane the state's bits can count.</summary>
    internal const int MaxLength = 0xFF;

    /// <summary>The number of tag bits (see <see cref="TryAppend"/>).</summary>
    internal const int TagBits = 256;

    /// <summary>The tag of an arrival that records none (the plain lane).</summary>
    internal const int NoTag = -1;

    /// <summary>Bits of <see cref="_state"/> that hold the end of the run.</summary>
    private const int EndMask = 0xFF;

    /// <summary>One unit of credit in <see cref="_state"/>.</summary>
    private const int CreditUnit = 1 << 8;

    /// <summary>Bits of <see cref="_state"/> that hold the credit.</summary>
    private const int CreditMask = 0xFF << 8;

    /// <summary>Set while an append, a move or a change of credit owns the lane.</summary>
    private const int Busy = 1 << 30;

    /// <summary>The appended items, oldest first, in slots 0 to the end; null until the first grant of credit.</summary>
    private T[]? _slots;

    /// <summary>Busy | (credit &lt;&lt; 8) | end.</summary>
    private int _state;

    /// <summary>The union of the tags of the arrivals in the lane, one bit each; written only by the lane's owner.</summary>
    private TagSet _tags;

    /// <summary>Gets the number of items appended and not yet moved (exact under the gate only while the credit is 0).</summary>
    public readonly int Count => Volatile.Read(ref Unsafe.AsRef(in _state)) & EndMask;

    /// <summary>Gets the items appended plus the credit left, read at once: an append moves one unit from one to the other.</summary>
    public readonly int CountAndCredit
    {
        get
        {
            int state = Volatile.Read(ref Unsafe.AsRef(in _state));
            return (state & EndMask) + ((state & CreditMask) / CreditUnit);
        }
    }

    /// <summary>Gets the credit left (tests and invariants).</summary>
    public readonly int Credit => (Volatile.Read(ref Unsafe.AsRef(in _state)) & CreditMask) / CreditUnit;

    /// <summary>Gets a value indicating whether an append would find credit and the lane free now (a hint: it may change at once).</summary>
    public readonly bool MayAppend => (uint)(Volatile.Read(ref Unsafe.AsRef(in _state)) - CreditUnit) < (uint)(Busy - CreditUnit);

    /// <summary>
    /// Whether an arrival with tag <paramref name="tag"/> may be in the lane: read without owning it, never a false
    /// "no". An arrival's tag is set before its append is released, so a tag not seen here belongs to an append not
    /// yet made.
    /// </summary>
    /// <param name="tag">The tag, 0 to <see cref="TagBits"/> - 1.</param>
    /// <returns>False when no arrival in the lane has that tag.</returns>
    public readonly bool MayHold(int tag) => (Volatile.Read(ref Unsafe.AsRef(in _tags[tag >> 6])) & (1L << (tag & 63))) != 0;

    /// <summary>
    /// The producer appends an arrival, without the gate, if there is credit and no other thread owns the lane. The
    /// caller's counters count it as received and buffered before anyone can take it.
    /// </summary>
    /// <param name="item">The arrival.</param>
    /// <param name="counters">The caller's counters, or null (they run no user code).</param>
    /// <param name="tag">What describes the arrival, 0 to <see cref="TagBits"/> - 1, recorded for <see cref="MayHold"/> (LatestByKey: bits of its key's hash); <see cref="NoTag"/> records nothing.</param>
    /// <returns>False when the arrival must take the locked path.</returns>
    public bool TryAppend(T item, BackpressureCounters? counters, int tag = NoTag)
    {
        int state = Volatile.Read(ref _state);
        if (state < CreditUnit || state >= Busy || Interlocked.CompareExchange(ref _state, state | Busy, state) != state)
        {
            // No credit, or another thread owns the lane.
            return false;
        }

        _slots![state & EndMask] = item;
        counters?.ReceivedAndBuffered();
        if (tag != NoTag)
        {
            // Recorded before the append is released (see MayHold).
            ref long tags = ref _tags[tag >> 6];
            Volatile.Write(ref tags, tags | (1L << (tag & 63)));
        }

        Volatile.Write(ref _state, state - CreditUnit + 1);
        return true;
    }

    /// <summary>Moves the appended items into <paramref name="storage"/>, oldest first; the credit stays. Under the gate.</summary>
    /// <param name="storage">Where the items go, behind the items there.</param>
    /// <returns>How many items moved.</returns>
    public int MoveTo(ILaneTarget<T> storage)
    {
        if ((Volatile.Read(ref _state) & EndMask) == 0)
        {
            return 0;
        }

        int state = Own();
        int moved = MoveOut(state, storage);
        Volatile.Write(ref _state, state & CreditMask);
        return moved;
    }

    /// <summary>Takes the credit back and moves the appended items into <paramref name="storage"/>. Under the gate.</summary>
    /// <param name="storage">Where the items go, behind the items there.</param>
    /// <returns>How many items moved.</returns>
    public int Close(ILaneTarget<T> storage)
    {
        if (Volatile.Read(ref _state) == 0)
        {
            return 0;
        }

        int moved = MoveOut(Own(), storage);
        Volatile.Write(ref _state, 0);
        return moved;
    }

    /// <summary>Grants credit for <paramref name="room"/> more arrivals (at most the lane's length); 0 takes it back. Under the gate.</summary>
    /// <param name="room">How many arrivals may each be only buffered, counting from the items held outside the lane.</param>
    /// <param name="length">The lane's length, 1 to <see cref="MaxLength"/>, used when the first grant allocates its slots.</param>
    public void Grant(int room, int length = Length)
    {
        if (room <= 0 && Volatile.Read(ref _state) < CreditUnit)
        {
            return;
        }

        Debug.Assert(length is > 0 and <= MaxLength, "a lane the state can count");
        int state = Own();
        _slots ??= new T[length];
        int end = state & EndMask;
        int credit = System.Math.Clamp(System.Math.Min(room, _slots.Length) - end, 0, _slots.Length - end);
        Volatile.Write(ref _state, (credit * CreditUnit) | end);
    }

    /// <summary>Claims the busy bit, waiting for an append in progress (a few instructions) to release it.</summary>
    /// <returns>The state before the claim.</returns>
    private int Own()
    {
        var spin = default(SpinWait);
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & Busy) == 0 && Interlocked.CompareExchange(ref _state, state | Busy, state) == state)
            {
                return state;
            }

            spin.SpinOnce();
        }
    }

    /// <summary>Moves slots 0 to the end of <paramref name="state"/> into <paramref name="storage"/> and clears them. The caller owns the lane.</summary>
    private int MoveOut(int state, ILaneTarget<T> storage)
    {
        int end = state & EndMask;
        Debug.Assert(end <= _slots!.Length, "the end is inside the lane");
        if (end > 0)
        {
            storage.AppendRange(_slots!, end);
            if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                System.Array.Clear(_slots!, 0, end);
            }
        }

        // Nothing is left in the lane, and no append can run while the caller owns it.
        ((System.Span<long>)_tags).Clear();
        return end;
    }

    /// <summary>Four longs in place: the lane's tag bits.</summary>
    [InlineArray(TagBits / 64)]
    private struct TagSet
    {
        /// <summary>The first element.</summary>
        private long _element;
    }
}
