using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Rx.Backpressure.Core;

/// <summary>
/// The storage of LatestByKey, a coalescing buffer: at most one value per key, keys in order of their first arrival
/// since they were last taken. An arrival whose key is held replaces the value in place (the key keeps its
/// position); a new key is appended. Storage follows the keys held, like <see cref="Ring{T}"/>.
/// </summary>
/// <remarks>
/// <para>A small hash table of nodes (value, key, hash, bucket chain) plus a <see cref="Ring{T}"/> of node indices
/// in arrival order. User code — the key selector and the comparer — runs only in <see cref="TryReplace(T, out T)"/>'s lookup,
/// before anything changes: inserting, removing and growing use the stored hashes and node indices, so a selector or
/// comparer that throws leaves the storage intact. A <c>null</c> key is a key (hash 0, equal only to <c>null</c>).</para>
/// <para>The oldest values may be in the consumer's span (<see cref="MoveHeadInto"/>): their nodes stay in the table,
/// without the value, so an arrival of their key replaces the value in the span, in place, until the consumer takes
/// it (<see cref="ConsumerSpan{T}.TryReplace"/> settles that race).</para>
/// <para>Invariants: <c>_order</c> holds exactly the nodes whose value is here, oldest first; <c>_spanNodes</c> the
/// nodes whose value went to the span (stale once taken); each of both is in the chain of bucket
/// <c>Hash % _buckets.Length</c>; free nodes form the list at <c>_free</c>; <c>Count</c> (the keys here) plus the
/// span's remaining values ≤ <c>Capacity</c>.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class KeyedStorage<T, TKey> : ItemStorage<T>, IKeyedLane<T>, ILaneTarget<KeyedStorage<T, TKey>.Arrival>
{
    /// <summary>
    /// The keyed lane's length: longer than the plain lane's, so the producer takes the gate less often to move it. A
    /// keyed move does the table's work for each arrival under the gate (a lookup, an insertion), and with 32 the
    /// producer met the consumer's span fills there about once per 32 arrivals. 128 delivered about a fifth more per
    /// second in the benchmark of 1,024 keys (interleaved processes: medians 14.2 against 11.7 M items/s); the plain
    /// lane, whose move is a copy, gained nothing from it. Never longer than the capacity: the credit stays below it.
    /// </summary>
    internal const int LaneLength = 128;

    /// <summary>The storage whose <see cref="TryAppend"/> turned this thread's arrival away with a key or fault kept for its locked path.</summary>
    [ThreadStatic]
    private static KeyedStorage<T, TKey>? threadPreparedFor;

    /// <summary>The key kept for the locked path (with <see cref="threadPreparedFor"/>).</summary>
    [ThreadStatic]
    private static TKey? threadPreparedKey;

    /// <summary>The hash of <see cref="threadPreparedKey"/>.</summary>
    [ThreadStatic]
    private static int threadPreparedHash;

    /// <summary>What the key selector threw for the arrival, instead of a key.</summary>
    [ThreadStatic]
    private static Exception? threadPreparedFault;

    /// <summary>Extracts an item's key (user code).</summary>
    private readonly Func<T, TKey> _keySelector;

    /// <summary>Compares keys (user code).</summary>
    private readonly IEqualityComparer<TKey> _comparer;

    /// <summary>Whether the producer's lane is used (see <see cref="IKeyedLane{T}"/>).</summary>
    private readonly bool _usesLane;

    /// <summary>Live node indices, oldest key first.</summary>
    private Ring<int> _order;

    /// <summary>The nodes; grows by doubling up to the capacity.</summary>
    private Node[] _nodes = [];

    /// <summary>Per bucket, the index of the first node of its chain plus one (0: empty).</summary>
    private int[] _buckets = [];

    /// <summary>How many nodes have ever been used since the last reset; nodes past it are untouched.</summary>
    private int _used;

    /// <summary>The first free node, or -1.</summary>
    private int _free = -1;

    /// <summary>The key computed by the last <see cref="TryReplace(T, out T)"/> that found no held value, for the <see cref="Enqueue"/> that follows.</summary>
    private TKey _pendingKey = default!;

    /// <summary>The hash of <see cref="_pendingKey"/>.</summary>
    private int _pendingHash;

    /// <summary>Whether <see cref="_pendingKey"/> is set.</summary>
    private bool _hasPendingKey;

    /// <summary>The producer's arrivals with their keys, appended without the gate; a mutable struct used in place.</summary>
    private ProducerLane<Arrival> _lane;

    /// <summary>How many held values the arrivals moved from the lane so far replaced (see <see cref="MoveLane"/>).</summary>
    private int _laneReplaced;

    /// <summary>The consumer's span, once the buffer created it.</summary>
    private ConsumerSpan<T>? _span;

    /// <summary>
    /// Per span position, the node whose value <see cref="MoveHeadInto"/> moved there, or -1. The node keeps its key in
    /// the table, so an arrival of that key replaces the value in the span while the consumer has not taken it; once
    /// taken (or evicted), the node is stale and is freed lazily: by the next lookup of its key, the next fill, or an
    /// allocation that finds no free node.
    /// </summary>
    private int[] _spanNodes = [];

    /// <summary>Per span position, the hash of the key whose value the last fill moved there; read by the consumer without the gate (see <see cref="MayTake"/>).</summary>
    private int[] _spanHashes = [];

    /// <summary>How many positions of <see cref="_spanNodes"/> the last fill used; the rest are -1.</summary>
    private int _spanFilled;

    /// <summary>Initializes a new instance of the <see cref="KeyedStorage{T, TKey}"/> class. Allocates no slots.</summary>
    /// <param name="capacity">The bound, in keys.</param>
    /// <param name="keySelector">Extracts an item's key.</param>
    /// <param name="comparer">Compares keys.</param>
    /// <param name="usesLane">Whether the producer may append without the gate: only when no replacement is observed as it happens (no <c>onDropped</c>, no counters) and <see cref="ComparesWithoutUserCode"/>.</param>
    public KeyedStorage(int capacity, Func<T, TKey> keySelector, IEqualityComparer<TKey> comparer, bool usesLane)
        : base(capacity)
    {
        _keySelector = keySelector;
        _comparer = comparer;
        _order = new Ring<int>(capacity);
        _usesLane = usesLane && ComparesWithoutUserCode(comparer);
    }

    /// <summary>Gets a value indicating whether the producer's lane is used.</summary>
    public bool UsesLane => _usesLane;

    /// <inheritdoc/>
    public int LaneCountAndCredit => _lane.CountAndCredit;

    /// <inheritdoc/>
    public int LaneCredit => _lane.Credit;

    /// <inheritdoc/>
    public override int AllocatedLength => _nodes.Length;

    /// <summary>
    /// Whether comparing keys runs no user code, so arrivals may be looked up later, when the lane moves, without a
    /// fault appearing there: the default comparer of a key type whose equality is the runtime's own.
    /// </summary>
    /// <param name="comparer">The comparer in use.</param>
    /// <returns>True for the default comparer of a primitive, enum, string, decimal, Guid, DateTime, DateTimeOffset or TimeSpan key, or a nullable one.</returns>
    public static bool ComparesWithoutUserCode(IEqualityComparer<TKey> comparer)
    {
        Type type = Nullable.GetUnderlyingType(typeof(TKey)) ?? typeof(TKey);
        return ReferenceEquals(comparer, EqualityComparer<TKey>.Default)
            && (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(Guid)
                || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan));
    }

    /// <inheritdoc/>
    public override bool TryReplace(T item, out T replaced)
    {
        TKey key;
        int hash;
        if (threadPreparedFor == this)
        {
            // The producer computed the key without the gate, then found the lane closed: the selector ran once.
            key = threadPreparedKey!;
            hash = threadPreparedHash;
            threadPreparedFor = null;
            threadPreparedKey = default;
        }
        else
        {
            key = _keySelector(item);
            hash = Hash(key);
        }

        return TryReplace(item, key, hash, out replaced);
    }

    /// <inheritdoc/>
    public bool TryAppend(T item)
    {
        if (!_lane.MayAppend)
        {
            // The locked path computes the key itself; nothing this thread kept earlier may stand in for it.
            threadPreparedFor = null;
            return false;
        }

        TKey key;
        int hash;
        try
        {
            key = _keySelector(item);
            hash = Hash(key);
        }
        catch (Exception ex)
        {
            Prepare(default!, 0, ex);
            return false;
        }

        if (_lane.TryAppend(new Arrival(item, key, hash), null, Tag(hash)))
        {
            return true;
        }

        Prepare(key, hash, null);
        return false;
    }

    /// <inheritdoc/>
    public bool MayTake(int position) => !_lane.MayHold(Tag(_spanHashes[position]));

    /// <inheritdoc/>
    public Exception? TakePreparedFault()
    {
        if (threadPreparedFor != this || threadPreparedFault is not { } fault)
        {
            return null;
        }

        threadPreparedFor = null;
        threadPreparedFault = null;
        return fault;
    }

    /// <inheritdoc/>
    public int MoveLane()
    {
        _laneReplaced = 0;
        _ = _lane.MoveTo(this);
        return _laneReplaced;
    }

    /// <inheritdoc/>
    public int CloseLane()
    {
        _laneReplaced = 0;
        _ = _lane.Close(this);
        return _laneReplaced;
    }

    /// <inheritdoc/>
    public void GrantLane(int room) => _lane.Grant(room, Math.Min(LaneLength, Capacity));

    /// <inheritdoc/>
    void ILaneTarget<Arrival>.AppendRange(Arrival[] slots, int count)
    {
        for (int i = 0; i < count; i++)
        {
            ref Arrival arrival = ref slots[i];
            if (TryReplace(arrival.Value, arrival.Key, arrival.Hash, out _))
            {
                _laneReplaced++;
            }
            else
            {
                Enqueue(arrival.Value);
            }
        }
    }

    /// <inheritdoc/>
    public override void ForgetLookup()
    {
        _pendingKey = default!;
        _hasPendingKey = false;
    }

    /// <inheritdoc/>
    public override void Enqueue(T item)
    {
        Debug.Assert(_hasPendingKey, "Enqueue without the TryReplace that computed the key.");
        Debug.Assert(_order.Count < Capacity, "Enqueue on a full storage.");
        int index;
        if (_free < 0 && _used == _nodes.Length)
        {
            // Nodes of values the consumer took from its span may be free for the asking.
            FreeSpanNodes(all: false);
        }

        if (_free >= 0)
        {
            index = _free;
            _free = _nodes[index].Next;
        }
        else
        {
            if (_used == _nodes.Length)
            {
                Grow();
            }

            index = _used++;
        }

        int bucket = BucketOf(_pendingHash);
        _nodes[index] = new Node { Key = _pendingKey, Value = item, Hash = _pendingHash, Next = _buckets[bucket] - 1 };
        _buckets[bucket] = index + 1;
        _order.Enqueue(index);
        Count = _order.Count;
        _pendingKey = default!;
        _hasPendingKey = false;
    }

    /// <inheritdoc/>
    public override int MoveHeadInto(T[] slots, int count)
    {
        // The span is used up: every node kept for its last run is stale.
        FreeSpanNodes(all: true);
        if (_spanNodes.Length < slots.Length)
        {
            _spanNodes = new int[slots.Length];
            Array.Fill(_spanNodes, -1);
            _spanHashes = new int[slots.Length];
        }

        for (int i = 0; i < count; i++)
        {
            int index = _order.DequeueHead();
            ref Node node = ref _nodes[index];
            slots[i] = node.Value;
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                node.Value = default!;
            }

            node.SpanSlot = i + 1;
            _spanNodes[i] = index;
            _spanHashes[i] = node.Hash;
        }

        _spanFilled = count;

        Count = _order.Count;
        return count;
    }

    /// <inheritdoc/>
    public override void AttachSpan(ConsumerSpan<T> span) => _span = span;

    /// <inheritdoc/>
    public override void SpanUsedUp()
    {
        FreeSpanNodes(all: true);
        ReleaseIfEmpty();
    }

    /// <inheritdoc/>
    public override T DequeueHead()
    {
        int index = _order.At(0);
        T value = Unlink(index);
        _order.DequeueHead();
        Count = _order.Count;
        ReleaseIfEmpty();
        return value;
    }

    /// <inheritdoc/>
    public override T RemoveTail()
    {
        int index = _order.At(_order.Count - 1);
        T value = Unlink(index);
        _order.RemoveTail();
        Count = _order.Count;
        ReleaseIfEmpty();
        return value;
    }

    /// <inheritdoc/>
    public override T[] DrainToArray()
    {
        T[] values = ToArray();
        _order.DrainToArray();
        Count = 0;
        Reset();
        return values;
    }

    /// <inheritdoc/>
    public override T[] ToArray()
    {
        var values = new T[_order.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = _nodes[_order.At(i)].Value;
        }

        return values;
    }

    /// <inheritdoc/>
    public override void AssertInvariants()
    {
        _order.AssertInvariants();
        Debug.Assert(Count == _order.Count, "the cached count disagrees with the order");
        Debug.Assert(_order.Count <= Capacity, "more keys than the capacity");
        Debug.Assert(_used <= _nodes.Length && _nodes.Length <= Capacity, "node storage out of range");
    }

    /// <summary>The lane's tag for an arrival, by its key's hash: equal keys have equal tags.</summary>
    private static int Tag(int hash) => hash & (ProducerLane<Arrival>.TagBits - 1);

    /// <summary>Removes a node from its bucket chain and frees it; uses only stored hashes and indices (no user code).</summary>
    private T Unlink(int index)
    {
        ref Node node = ref _nodes[index];
        int bucket = BucketOf(node.Hash);
        if (_buckets[bucket] - 1 == index)
        {
            _buckets[bucket] = node.Next + 1;
        }
        else
        {
            int previous = _buckets[bucket] - 1;
            while (_nodes[previous].Next != index)
            {
                previous = _nodes[previous].Next;
            }

            _nodes[previous].Next = node.Next;
        }

        T value = node.Value;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<Node>())
        {
            // Nothing the node held stays reachable from here.
            node = new Node { Next = _free };
        }
        else
        {
            // Enqueue writes every field of a node it takes from the free list.
            node.Next = _free;
        }

        _free = index;
        return value;
    }

    /// <summary>Doubles the node storage (at least 4, at most the capacity) and rebuilds the buckets from the stored hashes.</summary>
    private void Grow()
    {
        int length = _nodes.Length == 0 ? Ring<int>.InitialLength : _nodes.Length * 2;
        if ((uint)length > (uint)Math.Min(Capacity, Array.MaxLength))
        {
            length = Math.Min(Capacity, Array.MaxLength);
        }

        Array.Resize(ref _nodes, length);
        _buckets = new int[(int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)length), 1u << 30)];
        for (int i = 0; i < _order.Count; i++)
        {
            Relink(_order.At(i));
        }

        for (int position = 0; position < _spanFilled; position++)
        {
            if (_spanNodes[position] >= 0)
            {
                Relink(_spanNodes[position]);
            }
        }
    }

    /// <summary>The lookup of <see cref="TryReplace(T, out T)"/>, with the key computed: replaces the key's held value, or keeps the key for <see cref="Enqueue"/>.</summary>
    private bool TryReplace(T item, TKey key, int hash, out T replaced)
    {
        if (_buckets.Length > 0)
        {
            for (int i = _buckets[BucketOf(hash)] - 1; i >= 0; i = _nodes[i].Next)
            {
                ref Node node = ref _nodes[i];
                if (node.Hash == hash && (key is null ? node.Key is null : node.Key is not null && _comparer.Equals(node.Key, key)))
                {
                    if (node.SpanSlot == 0)
                    {
                        replaced = node.Value;
                        node.Value = item;
                    }
                    else if (!_span!.TryReplace(node.SpanSlot - 1, item, out replaced))
                    {
                        // The consumer took the key's value from its span (or it was evicted): the key is not held
                        // any more, and the arrival is a new key. Keys are unique in the table: the search ends here.
                        FreeSpanNode(node.SpanSlot - 1);
                        break;
                    }

                    _hasPendingKey = false;
                    _pendingKey = default!;
                    return true;
                }
            }
        }

        _pendingKey = key;
        _pendingHash = hash;
        _hasPendingKey = true;
        replaced = default!;
        return false;
    }

    /// <summary>A key's hash, non-negative; 0 for null.</summary>
    private int Hash(TKey key) => key is null ? 0 : _comparer.GetHashCode(key) & int.MaxValue;

    /// <summary>Keeps a key, or the selector's exception, for this thread's locked path.</summary>
    private void Prepare(TKey key, int hash, Exception? fault)
    {
        threadPreparedFor = this;
        threadPreparedKey = key;
        threadPreparedHash = hash;
        threadPreparedFault = fault;
    }

    /// <summary>The bucket of a hash: the buckets are a power of two, so a mask instead of a division.</summary>
    /// <param name="hash">The key's hash, non-negative.</param>
    /// <returns>The index into the buckets, which must not be empty.</returns>
    private int BucketOf(int hash) => hash & (_buckets.Length - 1);

    /// <summary>Puts a node at the head of its bucket's chain.</summary>
    private void Relink(int index)
    {
        int bucket = BucketOf(_nodes[index].Hash);
        _nodes[index].Next = _buckets[bucket] - 1;
        _buckets[bucket] = index + 1;
    }

    /// <summary>Frees the node kept for a span position; its value was taken or evicted.</summary>
    private void FreeSpanNode(int position)
    {
        _ = Unlink(_spanNodes[position]);
        _spanNodes[position] = -1;
    }

    /// <summary>Frees the nodes kept for span positions whose value is gone (all of them when <paramref name="all"/>: the span is used up).</summary>
    private void FreeSpanNodes(bool all)
    {
        bool kept = false;
        for (int position = 0; position < _spanFilled; position++)
        {
            if (_spanNodes[position] >= 0)
            {
                if (all || !_span!.Holds(position))
                {
                    FreeSpanNode(position);
                }
                else
                {
                    kept = true;
                }
            }
        }

        if (!kept)
        {
            _spanFilled = 0;
        }
    }

    /// <summary>Gives large storage back when the last key is taken, as the ring does.</summary>
    private void ReleaseIfEmpty()
    {
        if (_order.Count == 0 && _nodes.Length > Ring<int>.RetainedLength)
        {
            FreeSpanNodes(all: false);
            if (_spanFilled == 0)
            {
                Reset();
            }
        }
    }

    /// <summary>Forgets every node and releases the storage.</summary>
    private void Reset()
    {
        _nodes = [];
        _buckets = [];
        _used = 0;
        _free = -1;
        Array.Fill(_spanNodes, -1);
        _spanFilled = 0;
    }

    /// <summary>An arrival in the producer's lane, with the key the producer computed for it.</summary>
    internal readonly struct Arrival
    {
        /// <summary>Initializes a new instance of the <see cref="Arrival"/> struct.</summary>
        /// <param name="value">The arrival.</param>
        /// <param name="key">Its key.</param>
        /// <param name="hash">The key's hash.</param>
        public Arrival(T value, TKey key, int hash)
        {
            Value = value;
            Key = key;
            Hash = hash;
        }

        /// <summary>Gets the arrival.</summary>
        public T Value { get; }

        /// <summary>Gets its key.</summary>
        public TKey Key { get; }

        /// <summary>Gets the key's hash.</summary>
        public int Hash { get; }
    }

    /// <summary>One key's slot.</summary>
    private struct Node
    {
        /// <summary>The key.</summary>
        public TKey Key;

        /// <summary>The latest value of the key.</summary>
        public T Value;

        /// <summary>The key's hash (non-negative), so relinking never calls the comparer.</summary>
        public int Hash;

        /// <summary>The next node in the bucket chain (or in the free list), or -1.</summary>
        public int Next;

        /// <summary>0 while the value is here; otherwise its position in the consumer's span plus one.</summary>
        public int SpanSlot;
    }
}
