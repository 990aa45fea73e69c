using System;
using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.Backpressure.Core;

/// <summary>
/// The one bounded buffer behind every operator and both shapes: a ring bounded by exactly <c>capacity</c>
/// (its storage grows with the items held), an optional pending sample, the overflow policy, pressure watermarks,
/// and two single-waiter signals (the consumer waiting for an item, the pump waiting for room).
/// </summary>
/// <remarks>
/// <para>One gate guards all state. Decisions are made under the gate; everything that runs user code or may
/// re-enter — <c>onDropped</c>, the pressure observer, waking a waiter, disposing the upstream, scheduling or
/// disposing a timer — runs after it is released.</para>
/// <para>Three fast paths leave the gate out, each with its invariant next to its state and checked in debug builds: a
/// full buffer discards an unobserved arrival after reading a lower bound of the held count
/// (<see cref="HeldLowerBound"/>; below capacity 2, one volatile flag, <see cref="_rejecting"/>); the producer
/// appends an arrival that would only be buffered to its lane, under credit granted by its last section
/// (<see cref="ProducerLane{T}"/>); and the consumer takes the oldest items from a run moved out under the gate
/// (<see cref="ConsumerSpan{T}"/>), taking the gate only when freeing a slot does more than free it
/// (<see cref="_attention"/>). The locked paths stay the reference: the fast ones must decide exactly as they
/// would.</para>
/// <para>Whatever that code throws is caught: the producer never receives it, every waiter is still woken and every
/// undelivered item still reaches <c>onDropped</c>. It becomes the sequence's error (after the buffered items), or
/// it is thrown from <c>DisposeAsync</c> when the consumer was stopping.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class BackpressureBuffer<T>
{
    /// <summary>
    /// The most pauses (<see cref="Thread.SpinWait(int)"/> of 1, about 30 ns each) a read spins while the pump reads
    /// and nothing is held: about a microsecond, the time the pump takes to read and write a run from a source that
    /// answers at once. Longer spins measured the same.
    /// </summary>
    internal const int PumpSpins = 32;

    /// <summary>Guards every mutable field below.</summary>
    private readonly Lock _gate = new();

    /// <summary>
    /// Holds, at <see cref="CacheLine{T}.Index"/>, the item the last successful read produced (see <see cref="CurrentSlot"/>):
    /// written by the consumer at every take, so on cache lines of its own, away from the fields the producer reads.
    /// </summary>
    private readonly T[] _currentCell = CacheLine<T>.Allocate();

    /// <summary>The operator's configuration.</summary>
    private readonly BufferPolicy<T> _policy;

    /// <summary>Where counts and metrics are reported.</summary>
    private readonly Accounting _accounting;

    /// <summary>The caller's counters, or null: the lane's appends count into them directly.</summary>
    private readonly BackpressureCounters? _counters;

    /// <summary>LatestByKey's lane, kept by its storage (arrivals carry their keys), when it is used; otherwise null.</summary>
    private readonly IKeyedLane<T>? _keyedLane;

    /// <summary>The consumer's wait for an item (or the end).</summary>
    private readonly AsyncSignal _reader;

    /// <summary>The pump's wait for room or for pressure to turn off (pull shape).</summary>
    private readonly AsyncSignal _writer;

    /// <summary>The pressure observer when it follows decisions (<see cref="PressureGate"/>); null otherwise.</summary>
    private readonly IPressureDecision? _pressureDecisions;

    /// <summary>The pressure observer when it is published to in order (any other observer); null otherwise.</summary>
    private readonly IObserver<bool>? _pressurePublication;

    /// <summary>
    /// Whether nothing observes an arrival discarded at a full buffer: the policy discards the arrival (DropWhenFull,
    /// DropIncoming) and there is no <c>onDropped</c>, no counters and no watermark. Then such an arrival may be
    /// discarded without taking the gate (see <see cref="HeldLowerBound"/> and <see cref="_rejecting"/>), unless a
    /// metrics listener is on.
    /// </summary>
    private readonly bool _unobservedDrops;

    /// <summary>The policy's <see cref="BufferPolicy{T}.IsKeyed"/>, kept here for the hot path.</summary>
    private readonly bool _isKeyed;

    /// <summary>The policy's <see cref="BufferPolicy{T}.PausesSource"/>, kept here for the hot path.</summary>
    private readonly bool _pausesSource;

    /// <summary>The policy's <see cref="BufferPolicy{T}.HighWatermark"/> (0: no pressure), kept here for the hot path.</summary>
    private readonly int _highWatermark;

    /// <summary>Whether the consumer takes its oldest items from a <see cref="ConsumerSpan{T}"/> (not below capacity 2). The producer's lane is used only with it and not for keyed storage.</summary>
    private readonly bool _usesSpan;

    /// <summary>Whether DropOldest or DropNewest makes room by evicting a held item.</summary>
    private readonly bool _evicts;

    /// <summary>The buffered items, oldest first: a ring, or one slot per key (LatestByKey).</summary>
    private readonly ItemStorage<T> _items;

    /// <summary>Whether <see cref="_pending"/> holds a sample (SampleWhenFull).</summary>
    private bool _hasPending;

    /// <summary>The pending sample, valid when <see cref="_hasPending"/>.</summary>
    private T _pending = default!;

    /// <summary>
    /// Whether the pending sample was admitted by a window that closed while no slot could take it (capacity 0): it
    /// goes to the next pull even though the next window is already open.
    /// </summary>
    private bool _pendingAdmitted;

    /// <summary>Whether a sampling window is open (periodic SampleWhenFull): arrivals replace the pending sample.</summary>
    private bool _windowOpen;

    /// <summary>Identifies the current window, so a late timer of an earlier window does nothing.</summary>
    private long _windowId;

    /// <summary>The timer that closes the open window.</summary>
    private IDisposable? _windowTimer;

    /// <summary>Whether the consumer is waiting in <see cref="ReadAsync"/>.</summary>
    private bool _readerWaiting;

    /// <summary>Whether the pump is waiting in <see cref="WaitForRoomAsync"/>.</summary>
    private bool _writerWaiting;

    /// <summary>
    /// Whether the pump is reading a source that answers at once, so it will write within a run: a hint, written by the
    /// pump without the gate, that lets a consumer that found nothing spin briefly before it waits (see <see cref="PumpReading"/>).
    /// </summary>
    private volatile bool _pumpReading;

    /// <summary>The batch the last <see cref="ReadBatchAsync"/> took without waiting, until <see cref="TakeBatch"/> takes it.</summary>
    private T[]? _batch;

    /// <summary>No more items will be accepted (the source ended, the operator failed, or the consumer stopped).</summary>
    private bool _terminal;

    /// <summary>
    /// The end is decided but not yet known to the consumer: the upstream is being disposed (or the overflowing item
    /// reported) outside the gate, and what they throw may still become the sequence's error. A reader waits.
    /// </summary>
    private bool _settling;

    /// <summary>The source itself signalled its end: later <c>OnNext</c> calls are ignored.</summary>
    private bool _sourceEnded;

    /// <summary>The error to throw after the buffered items, if the sequence failed.</summary>
    private Exception? _error;

    /// <summary>The consumer has been given the end of the sequence (false or the error).</summary>
    private bool _finished;

    /// <summary>The consumer stopped (dispose or cancellation).</summary>
    private bool _stopped;

    /// <summary>
    /// A stop is reporting its left-overs, outside the gate. A read arriving meanwhile (a cancellation runs on another
    /// thread) waits for the reports, so a consumer that sees the stop finds every drop already reported.
    /// </summary>
    private bool _reportingLeftOvers;

    /// <summary>Why the consumer stopped, when it was cancelled; null after a plain dispose.</summary>
    private OperationCanceledException? _cancellation;

    /// <summary>
    /// A fault that happened after the consumer stopped (a late upstream dispose), or what a cancellation's stop met
    /// (disposing the upstream, <c>onDropped</c>); thrown from <c>DisposeAsync</c> if still there.
    /// </summary>
    private Exception? _lateFault;

    /// <summary>Completed when the stop in progress has reported its left-overs; made only for a caller that waits for it.</summary>
    private TaskCompletionSource? _stopReported;

    /// <summary>The managed thread of the stop reporting its left-overs (while <see cref="_reportingLeftOvers"/>).</summary>
    private int _reportingThread;

    /// <summary>The source subscription, or the pump's cancellation.</summary>
    private IDisposable? _upstream;

    /// <summary>Whether <see cref="_upstream"/> has been disposed (or must be disposed as soon as it is set).</summary>
    private bool _upstreamDisposed;

    /// <summary>Whether pressure is on (buffered count reached the high watermark and has not drained to the low).</summary>
    private bool _pressureOn;

    /// <summary>Pressure transitions decided so far; odd-numbered ones are "on".</summary>
    private long _pressureDecided;

    /// <summary>Pressure transitions already published to the observer.</summary>
    private long _pressurePublished;

    /// <summary>The pressure observer threw: nothing more is published to it.</summary>
    private bool _publicationFailed;

    /// <summary>The managed thread id of the thread publishing pressure transitions, or 0 when none is.</summary>
    private int _pressurePublisher;

    /// <summary>
    /// With <see cref="_unobservedDrops"/>, below capacity 2 (no span): true exactly while an arrival would be
    /// discarded — the storage is full, no reader waits and the buffer still accepts items. Written under the gate at every change of those three, read
    /// without it by <see cref="Write"/>: a single volatile flag, so the read is a linearizable snapshot of the state
    /// the locked path would have decided on. Invariant checked by <see cref="AssertInvariants"/>.
    /// </summary>
    private volatile bool _rejecting;

    /// <summary>
    /// The consumer's run of the oldest held items, taken without the gate; created at the first fill. Its items
    /// still count as held (see <see cref="CountHeldLocked"/>).
    /// </summary>
    private ConsumerSpan<T>? _span;

    /// <summary>
    /// With <see cref="_usesSpan"/>: true exactly while freeing a slot has an effect beyond the slot — a pending
    /// sample takes it, pressure may turn off, or a pump waits for room. A take from the span that sees it true takes the gate to do that (<see cref="AfterTakeLocked"/>).
    /// Written under the gate; when it rises, a full fence follows and the section catches up with a take the
    /// consumer made without seeing it (the consumer's take is a compare-and-swap, so one of the two sees the other).
    /// </summary>
    private volatile bool _attention;

    /// <summary>
    /// The span's remaining count as last read under the gate: an upper bound, since only the consumer's takes change
    /// it without the gate and they only lower it (a fill, under the gate, sets it). A full check reads the span's
    /// cursor, which the consumer writes at every take, only when this bound says the buffer may be full.
    /// </summary>
    private int _spanBound;

    /// <summary>
    /// With <see cref="_usesSpan"/>: the newest arrivals, appended by the producer without the gate while it has
    /// credit (a mutable struct, used in place). Every section that looks at the held items moves them into storage first.
    /// A producer's section takes the credit back when it starts and grants it again when it ends
    /// (<see cref="GrantLaneLocked"/>); a section that changes what an arrival would do takes it back
    /// (<see cref="CloseLaneLocked"/>).
    /// </summary>
    private ProducerLane<T> _lane;

    /// <summary>Initializes a new instance of the <see cref="BackpressureBuffer{T}"/> class.</summary>
    /// <param name="policy">The operator's validated configuration.</param>
    public BackpressureBuffer(BufferPolicy<T> policy)
    {
        _policy = policy;
        _items = policy.CreateStorage();
        _isKeyed = policy.IsKeyed;
        _pausesSource = policy.PausesSource;
        _highWatermark = policy.HighWatermark;
        _accounting = new Accounting(policy.Counters, policy.OperatorName, policy.PipelineName);
        _counters = policy.Counters;
        _reader = new AsyncSignal(!policy.IsVirtualTime);
        _writer = new AsyncSignal(!policy.IsVirtualTime);
        _unobservedDrops = policy.Overflow == BufferOverflow.DropIncoming && policy.Sampling == SampleMode.None && !policy.IsKeyed
            && policy.OnDropped is null && policy.Counters is null && policy.HighWatermark == 0;
        _rejecting = _unobservedDrops && policy.Capacity == 0;
        _usesSpan = policy.Capacity >= 2;
        _keyedLane = _usesSpan && _items is IKeyedLane<T> { UsesLane: true } keyedLane ? keyedLane : null;
        _evicts = policy.Sampling == SampleMode.None && policy.Overflow is BufferOverflow.DropOldest or BufferOverflow.DropNewest;
        _pressureDecisions = policy.Pressure as IPressureDecision;
        _pressurePublication = _pressureDecisions is null ? policy.Pressure : null;
    }

    /// <summary>Gets the item produced by the last read that returned true.</summary>
    public T Current => CurrentSlot;

    /// <summary>Gets a value indicating whether the consumer waits for an item now (read without the gate: a hint for the pump to write at once).</summary>
    public bool ReaderWaiting => Volatile.Read(ref _readerWaiting);

    /// <summary>
    /// Gets or sets a value indicating whether the pump is reading a source that answers at once (real time only). The
    /// pump clears it before it awaits the source or room, and sets it again when it reads on; it is a hint, never part
    /// of a decision under the gate.
    /// </summary>
    /// <remarks>
    /// A consumer that finds nothing to take would wait, and waking it costs the pump a hop to the thread pool for the
    /// next item. While the pump reads, its next run is less than a microsecond away, so the consumer spins for about
    /// that long first (<see cref="SpinForThePump"/>); when the source must be awaited it does not spin at all, so a
    /// consumer of an idle source never burns a core. The spin only delays the read: what the read then decides is
    /// unchanged.
    /// </remarks>
    public bool PumpReading
    {
        get => _pumpReading;
        set => _pumpReading = value;
    }

    /// <summary>Gets a value indicating whether the consumer stopped (dispose or cancellation).</summary>
    public bool IsStopped
    {
        get
        {
            lock (_gate)
            {
                return _stopped;
            }
        }
    }

    /// <summary>Gets the item the last successful read produced, in its cell of its own.</summary>
    private ref T CurrentSlot => ref _currentCell[CacheLine<T>.Index];

    /// <summary>Gets the held count that the producer's credit never reaches: the capacity, or the high watermark if lower.</summary>
    private int LaneLimit => _highWatermark > 0 ? Math.Min(_highWatermark, _items.Capacity) : _items.Capacity;

    /// <summary>
    /// Gets a value indicating whether an arrival with room would only be buffered: no reader waits, pressure is off,
    /// no sample is pending, no window is open, the pump does not wait and the buffer still accepts items. Read under
    /// the gate.
    /// </summary>
    private bool ArrivalsOnlyBuffer => !_terminal && !_readerWaiting && !_pressureOn && !_hasPending && !_windowOpen && !_writerWaiting;

    /// <summary>Sets what to dispose when the buffer stops accepting items; disposes it at once if that already happened.</summary>
    /// <param name="upstream">The source subscription or the pump's cancellation.</param>
    public void SetUpstream(IDisposable upstream)
    {
        lock (_gate)
        {
            if (!_upstreamDisposed)
            {
                _upstream = upstream;
                return;
            }
        }

        if (Faults.TryDispose(upstream) is { } fault)
        {
            Fault(fault);
        }
    }

    /// <summary>Offers an item from the source (<c>OnNext</c> or the pump). Never throws.</summary>
    /// <param name="item">The item.</param>
    /// <returns>
    /// Whether the pump may read the next item at once: the buffer still accepts items and, for a policy that pauses
    /// the source, there is room and pressure is off. When false, the pump asks <see cref="WaitForRoomAsync"/>.
    /// </returns>
    public bool Write(T item)
    {
        // Fast path: an arrival that would only be buffered, while the producer has credit for it, needs no gate.
        if (_lane.TryAppend(item, _counters))
        {
            _accounting.AnnounceBuffered();
            return true;
        }

        if (_keyedLane is { } keyedLane && keyedLane.TryAppend(item))
        {
            _accounting.AnnounceBuffered();
            return true;
        }

        // Fast path: an arrival that a full buffer would discard, when nothing observes the discard, needs no gate.
        if (_unobservedDrops && (_usesSpan ? HeldLowerBound() >= _items.Capacity : _rejecting) && !BackpressureTelemetry.Dropped.Enabled)
        {
            return true;
        }

        bool mayWriteMore;
        T dropped = default!;
        bool hasDropped = false;
        bool handOff = false;
        bool overflowed = false;
        IDisposable? upstream = null;
        long openedWindow = 0;
        bool publishPressure = false;
        TaskCompletionSource? releaseProducer = null;
        bool wakeWriter = false;
        Exception? fault = null;

        lock (_gate)
        {
            // The arrivals appended without the gate are older than this one; a take the consumer made from its span
            // without the gate has its effects before this arrival is placed.
            CloseLaneLocked();
            CatchUpLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            Exception? selectorFault = _keyedLane?.TakePreparedFault();
            if (_sourceEnded)
            {
                // After the source's own end: ignored, not counted.
            }
            else if (_terminal)
            {
                dropped = item;
                hasDropped = true;
                _accounting.ReceivedAndDropped(DropReason.Stopped);
            }
            else if (selectorFault is not null)
            {
                // LatestByKey: the key selector ran for this arrival without the gate and threw; as below, the arrival
                // is dropped and the sequence fails with the exception.
                dropped = item;
                hasDropped = true;
                fault = selectorFault;
                _accounting.ReceivedAndDropped(DropReason.Stopped);
            }
            else if (_windowOpen)
            {
                // An arrival never overtakes the older pending sample: it replaces it.
                ReplacePendingLocked(item, ref dropped, ref hasDropped);
            }
            else if (_readerWaiting)
            {
                _readerWaiting = false;
                CurrentSlot = item;
                handOff = true;
                _accounting.ReceivedAndDelivered();
            }
            else if (_isKeyed && TryReplaceKeyedLocked(item, ref dropped, ref hasDropped, ref fault))
            {
                // LatestByKey: the key was held and its value replaced in place, or the key selector or comparer threw.
            }
            else if (_evicts && TryEvictLocked(_policy.Overflow == BufferOverflow.DropOldest, out dropped))
            {
                // Full: DropOldest or DropNewest made room. When the consumer took an item meanwhile, there is room
                // and nothing was evicted: the next branch buffers the arrival.
                _items.Enqueue(item);
                hasDropped = true;
                _accounting.ReceivedAndDropped(DropReason.Evicted);
            }
            else if (HasRoomLocked(ref publishPressure, ref releaseProducer, ref wakeWriter))
            {
                _items.Enqueue(item);
                _accounting.ReceivedAndBuffered();
                publishPressure |= UpdatePressureAfterEnqueueLocked();
            }
            else if (_policy.Sampling != SampleMode.None)
            {
                ReplacePendingLocked(item, ref dropped, ref hasDropped);
                if (_policy.Sampling == SampleMode.Periodic)
                {
                    // The first arrival that finds the buffer full opens the first window of a surge.
                    _windowOpen = true;
                    openedWindow = ++_windowId;
                }
            }
            else
            {
                Debug.Assert(!_evicts, "an evicting policy made room above");
                switch (_policy.Overflow)
                {
                    case BufferOverflow.Error:
                        // The end is settled after the upstream is disposed and the item reported, so an exception
                        // from either travels with the BufferOverflowException.
                        dropped = item;
                        overflowed = true;
                        _terminal = true;
                        _settling = true;
                        upstream = TakeUpstreamLocked();
                        break;
                    default:
                        // DropIncoming, and Wait if a pump ever wrote without room (it does not: it waits first).
                        dropped = item;
                        break;
                }

                hasDropped = true;
                _accounting.ReceivedAndDropped(DropReason.Overflow);
                if (_isKeyed)
                {
                    // A new key that found no room: its lookup is not needed any more.
                    _items.ForgetLookup();
                }
            }

            UpdateFlagsLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            GrantLaneLocked();
            mayWriteMore = !_sourceEnded && !_terminal && (!_pausesSource || CanWrite());
            AssertInvariants();
        }

        if (handOff)
        {
            _reader.Complete(true);
        }

        if (overflowed)
        {
            Overflowed(upstream, dropped);
            return false;
        }

        if (openedWindow != 0)
        {
            ScheduleWindow(openedWindow);
        }

        AfterTake(publishPressure, releaseProducer, wakeWriter);
        if (hasDropped)
        {
            ReportDropped(dropped);
        }

        if (fault is not null)
        {
            Fault(fault);
        }

        return mayWriteMore;
    }

    /// <summary>
    /// The pump offers a run of items it read while the buffer had room for all of them (the budget this method
    /// returns). They are buffered under one acquisition of the gate, each exactly as
    /// <see cref="Write"/> buffers an item; from the first that needs more than that (a waiting consumer, a stop),
    /// the rest go through <see cref="Write"/>. Never throws.
    /// </summary>
    /// <param name="items">The run, oldest first; its slots are cleared.</param>
    /// <param name="count">How many items of <paramref name="items"/> to write.</param>
    /// <returns>How many items the pump may read before it writes again; 0 when it must ask <see cref="WaitForRoomAsync"/>.</returns>
    public int WriteRun(T[] items, int count)
    {
        int written = 0;
        int budget = 0;
        bool publishPressure = false;
        TaskCompletionSource? releaseProducer = null;
        bool wakeWriter = false;
        lock (_gate)
        {
            CloseLaneLocked();
            CatchUpLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            if (!_terminal && !_readerWaiting && !_windowOpen && !_isKeyed && !_attention)
            {
                // What the loop below does item by item while there is room (without attention, a room check is only
                // a count), in one copy; the pressure check after the last sees what a check after each would have
                // seen last, since only the high watermark turns pressure on.
                written = Math.Min(count, _items.Capacity - CountHeldLocked());
                _items.EnqueueRange(items, written);
                if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    Array.Clear(items, 0, written);
                }

                _accounting.ReceivedAndBuffered(written);
                publishPressure |= written > 0 && UpdatePressureAfterEnqueueLocked();
            }

            while (written < count && !_terminal && !_readerWaiting && !_windowOpen && !_isKeyed
                && HasRoomLocked(ref publishPressure, ref releaseProducer, ref wakeWriter))
            {
                // The plain branch of Write: buffered.
                _items.Enqueue(items[written]);
                items[written++] = default!;
                _accounting.ReceivedAndBuffered();
                publishPressure |= UpdatePressureAfterEnqueueLocked();
            }

            // No credit is granted here: the pump, the one producer that writes runs, never appends to the lane, and a
            // grant would only write a line the consumer reads at every take. The lane was closed above, so the
            // credit stays none, which is always safe: an arrival then takes the gate.
            UpdateFlagsLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            if (written == count)
            {
                budget = PumpBudgetLocked();
            }

            AssertInvariants();
        }

        AfterTake(publishPressure, releaseProducer, wakeWriter);
        for (; written < count; written++)
        {
            budget = Write(items[written]) ? 1 : 0;
            items[written] = default!;
        }

        return budget;
    }

    /// <summary>The source completed: deliver what is held, then end. Never throws.</summary>
    public void Complete() => End(null, fromSource: true);

    /// <summary>The source failed: deliver what is held, then throw <paramref name="error"/>. Never throws.</summary>
    /// <param name="error">The source's exception, thrown as the same instance.</param>
    public void Fail(Exception error) => End(error, fromSource: true);

    /// <summary>Reads the next item into <see cref="Current"/>.</summary>
    /// <returns>True with an item; false at the end; faults with the source's error, the overflow, or cancellation.</returns>
    /// <exception cref="InvalidOperationException">The previous read has not been awaited yet.</exception>
    public ValueTask<bool> ReadAsync()
    {
        // Fast path: the oldest item is in the consumer's span and freeing its slot does nothing more (no attention).
        // If attention rose meanwhile, the take catches up under the gate, unless the section that raised it
        // already did. An arrival in a keyed lane may hold the replacement of that very value: then the gate moves the
        // lane first. (An arrival appended after this check is later than the take, which it cannot then replace.)
        if (_span is { } span && !_attention && span.Remaining != 0 && !_reader.IsAwaited && (_keyedLane is null || _keyedLane.MayTake(span.NextPosition)))
        {
            _accounting.BeginUngatedTake();
            bool taken = span.TryTakeOldest(out T item);
            _accounting.EndUngatedTake(taken);
            if (taken)
            {
                CurrentSlot = item;
                if (_attention)
                {
                    CatchUp();
                }

                return new ValueTask<bool>(true);
            }
        }

        return Read(0);
    }

    /// <summary>
    /// Reads up to <paramref name="maxSize"/> items that are available now, under one acquisition of the gate; if none
    /// is, waits for the first like <see cref="ReadAsync"/>. Take the batch with <see cref="TakeBatch"/>.
    /// </summary>
    /// <param name="maxSize">The most items to take, at least 1.</param>
    /// <returns>True with a batch; false at the end; faults like <see cref="ReadAsync"/>.</returns>
    /// <exception cref="InvalidOperationException">The previous read has not been awaited yet.</exception>
    public ValueTask<bool> ReadBatchAsync(int maxSize) => Read(maxSize);

    /// <summary>
    /// Takes the batch of the last <see cref="ReadBatchAsync"/> that returned true. If that read had to wait, the
    /// consumer was handed the first item; the items available now complete the batch, under one acquisition of the gate.
    /// </summary>
    /// <param name="maxSize">The most items in the batch.</param>
    /// <returns>1 to <paramref name="maxSize"/> items, in order.</returns>
    public T[] TakeBatch(int maxSize)
    {
        T[]? batch = _batch;
        _batch = null;
        return batch ?? TakeAvailable(CurrentSlot, maxSize);
    }

    /// <summary>
    /// The pump asks whether it may read the next item from the source. Completes at once unless the policy
    /// pauses the source and there is no room (Wait) or pressure is on (ThrottleOnPressure).
    /// </summary>
    /// <returns>True to read on; false when the buffer accepts no more items.</returns>
    public ValueTask<bool> WaitForRoomAsync()
    {
        bool publishPressure = false;
        TaskCompletionSource? releaseProducer = null;
        bool wakeWriter = false;
        ValueTask<bool> result;
        lock (_gate)
        {
            CloseLaneLocked();
            CatchUpLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            result = WaitForRoomLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
        }

        AfterTake(publishPressure, releaseProducer, wakeWriter);
        return result;
    }

    /// <summary>
    /// The consumer stopped (<c>DisposeAsync</c>, or cancellation): dispose the upstream at once, end a pending
    /// read with <see cref="OperationCanceledException"/>, release a producer waiting on pressure, and report every
    /// item still held to <c>onDropped</c>.
    /// </summary>
    /// <param name="cancellation">The cancellation, or null for a dispose.</param>
    /// <returns>
    /// For a dispose, what disposing the upstream, or <c>onDropped</c> first, threw meanwhile (an
    /// <see cref="AggregateException"/> if both did), or null. A cancellation, which runs on the cancelling thread,
    /// returns null and keeps that for <see cref="TakeLateFault"/>, before <see cref="WhenStopReported"/> completes.
    /// </returns>
    public Exception? Stop(OperationCanceledException? cancellation)
    {
        T[] leftOver;
        T pending = default!;
        bool hadPending;
        bool wakeReader;
        bool wakeWriter;
        IDisposable? timer;
        IDisposable? upstream;
        TaskCompletionSource? releaseProducer = null;

        lock (_gate)
        {
            if (_stopped)
            {
                return null;
            }

            _stopped = true;
            _reportingLeftOvers = true;
            _reportingThread = Environment.CurrentManagedThreadId;
            _terminal = true;
            CloseLaneLocked();
            _cancellation = cancellation;

            // An end decided before this stop is still being settled on another thread (the upstream's disposal runs
            // between the decision and the answer): the reader waiting then belongs to that end, as does the sample
            // it would be handed, exactly as if the end had been answered before the stop came.
            bool readerSettles = _readerWaiting && _settling;
            wakeReader = _readerWaiting && !readerSettles;
            _readerWaiting = readerSettles;
            wakeWriter = _writerWaiting;
            _writerWaiting = false;
            timer = CloseWindowLocked();
            leftOver = _span is { } span ? [.. span.TakeAll(), .. _items.DrainToArray()] : _items.DrainToArray();
            hadPending = _hasPending && !readerSettles;
            if (hadPending)
            {
                pending = TakePendingLocked();
            }

            upstream = TakeUpstreamLocked();
            _accounting.BufferedDropped(leftOver.Length + (hadPending ? 1 : 0), DropReason.Stopped);
            if (_pressureOn)
            {
                // Nothing is published after the consumer stopped, but the metric must not stay raised, and a
                // PressureGate must not keep its producer waiting for an "off" that will never come.
                SetPressureLocked(false, ref releaseProducer);
            }

            UpdateFlagsLocked();
        }

        // Everything below runs whatever the one before it threw. The left-overs are reported before the waiters are
        // woken: a consumer that sees its cancellation, or a pump that sees the end, finds every drop already reported.
        Exception? fault = Faults.TryDispose(upstream);
        fault = Faults.Combine(fault, Faults.TryDispose(timer));
        releaseProducer?.TrySetResult();

        // Every item is reported even if onDropped throws; its first exception is the one surfaced.
        Exception? dropError = null;
        Action<T>? onDropped = _policy.OnDropped;
        if (onDropped is not null)
        {
            foreach (T item in leftOver)
            {
                Exception? error = Faults.TryInvoke(onDropped, item);
                dropError ??= error;
            }

            if (hadPending)
            {
                Exception? error = Faults.TryInvoke(onDropped, pending);
                dropError ??= error;
            }
        }

        // The stop took the reader that was waiting at the time; one waiting now arrived while it reported.
        Exception? stopFault = Faults.Combine(fault, dropError);
        bool answerLateReader;
        TaskCompletionSource? reported;
        lock (_gate)
        {
            _reportingLeftOvers = false;
            answerLateReader = _readerWaiting && !_settling;
            _readerWaiting &= _settling;
            if (cancellation is not null)
            {
                _lateFault = Faults.Combine(_lateFault, stopFault);
                stopFault = null;
            }

            reported = _stopReported;
            _stopReported = null;
        }

        reported?.TrySetResult();

        if (wakeReader)
        {
            _reader.Fail(cancellation ?? new OperationCanceledException($"{_policy.OperatorName}: the enumerator was disposed while MoveNextAsync was pending."));
        }
        else if (answerLateReader)
        {
            // As a read after the stop is answered: false after a dispose, the cancellation after a cancellation.
            if (cancellation is null)
            {
                _reader.Complete(false);
            }
            else
            {
                _reader.Fail(cancellation);
            }
        }

        if (wakeWriter)
        {
            _writer.Complete(false);
        }

        return stopFault;
    }

    /// <summary>
    /// Completes once a stop in progress has disposed the upstream and reported its left-overs to <c>onDropped</c>: at
    /// once if none is in progress, or when called by that stop's own thread (from <c>onDropped</c>, which would
    /// otherwise wait for itself). <c>DisposeAsync</c> waits for it, so that nothing of a cancellation still runs
    /// after it returns.
    /// </summary>
    /// <returns>A task, completed unless another thread is reporting.</returns>
    public Task WhenStopReported()
    {
        lock (_gate)
        {
            if (!_reportingLeftOvers || _reportingThread == Environment.CurrentManagedThreadId)
            {
                return Task.CompletedTask;
            }

            return (_stopReported ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Takes a fault that happened after the consumer stopped, if any.</summary>
    /// <returns>The fault, or null.</returns>
    public Exception? TakeLateFault()
    {
        lock (_gate)
        {
            Exception? fault = _lateFault;
            _lateFault = null;
            return fault;
        }
    }

    /// <summary>Returns the buffered items and the pending sample (tests and diagnostics).</summary>
    /// <returns>A snapshot.</returns>
    internal (T[] Buffered, bool HasPending, T Pending) Snapshot()
    {
        lock (_gate)
        {
            MoveLaneLocked();
            return (_span is { } span ? [.. span.ToArray(), .. _items.ToArray()] : _items.ToArray(), _hasPending, _pending);
        }
    }

    /// <summary>Returns how many ring slots are allocated now (tests of rule 13: memory follows the items held).</summary>
    /// <returns>The allocated length.</returns>
    internal int AllocatedSlots()
    {
        lock (_gate)
        {
            MoveLaneLocked();
            if (_span is { Remaining: 0 })
            {
                _items.SpanUsedUp();
            }

            return _items.AllocatedLength;
        }
    }

    /// <summary>The decision of <see cref="WaitForRoomAsync"/>. Call under the gate.</summary>
    private ValueTask<bool> WaitForRoomLocked(ref bool publishPressure, ref TaskCompletionSource? releaseProducer, ref bool wakeWriter)
    {
        Debug.Assert(!_writerWaiting, "the pump asks while it waits");
        if (_terminal)
        {
            UpdateFlagsLocked();
            return new ValueTask<bool>(false);
        }

        if (_pausesSource && !CanWrite())
        {
            // The consumer may have freed a slot without the gate before it could see the pump waiting: then the
            // catch-up takes the pump back at once, and it reads on.
            _writerWaiting = true;
            UpdateFlagsLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            AssertInvariants();
            if (!wakeWriter)
            {
                return _writer.Wait();
            }

            wakeWriter = false;
        }

        UpdateFlagsLocked();
        AssertInvariants();
        return new ValueTask<bool>(true);
    }

    /// <summary>Reads one item (<paramref name="maxSize"/> 0) or a batch of up to <paramref name="maxSize"/> items.</summary>
    private ValueTask<bool> Read(int maxSize)
    {
        bool wakeWriter = false;
        bool publishPressure = false;
        TaskCompletionSource? releaseProducer = null;
        ValueTask<bool> result;

        if (_pumpReading)
        {
            SpinForThePump();
        }

        lock (_gate)
        {
            if (_readerWaiting)
            {
                throw new InvalidOperationException(
                    $"{_policy.OperatorName}: MoveNextAsync was called while a previous MoveNextAsync on the same enumerator was still pending. Await each call before making the next.");
            }

            if (_reader.IsAwaited)
            {
                throw new InvalidOperationException(
                    $"{_policy.OperatorName}: MoveNextAsync was called before the result of the previous MoveNextAsync on the same enumerator was awaited. Await each call before making the next.");
            }

            if (_stopped)
            {
                if (_reportingLeftOvers)
                {
                    _readerWaiting = true;
                    return _reader.Wait();
                }

                return _cancellation is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_cancellation);
            }

            // The producer's appends join the held items. A read that still finds nothing held would wait: first the
            // producer's credit is taken back, so the next arrival takes the gate and is handed to this reader, and
            // what it appended meanwhile is taken here. A read that finds items leaves the credit alone.
            MoveLaneLocked();
            if (CountHeldLocked() == 0 && !_terminal)
            {
                CloseLaneLocked();
            }

            if (maxSize == 0 && TryTakeLocked(out CurrentSlot, ref publishPressure, ref releaseProducer))
            {
                wakeWriter = TakeWriterIfRoomLocked();
                FillSpanLocked();
                result = new ValueTask<bool>(true);
            }
            else if (maxSize > 0 && TakeAvailableLocked(default!, 0, maxSize, ref publishPressure, ref releaseProducer) is { } batch)
            {
                _batch = batch;
                wakeWriter = TakeWriterIfRoomLocked();
                result = new ValueTask<bool>(true);
            }
            else if (_terminal && !_settling)
            {
                if (_finished || _error is null)
                {
                    _finished = true;
                    return new ValueTask<bool>(false);
                }

                _finished = true;
                return ValueTask.FromException<bool>(_error);
            }
            else
            {
                _readerWaiting = true;
                result = _reader.Wait();
            }

            UpdateFlagsLocked();
            AssertInvariants();
        }

        AfterTake(publishPressure, releaseProducer, wakeWriter);
        return result;
    }

    /// <summary>
    /// Before a read takes the gate while the pump reads: if nothing is held, spins up to <see cref="PumpSpins"/>
    /// short pauses (about a microsecond), until the pump writes or stops reading. On one processor the pump cannot
    /// run meanwhile, so it does not spin.
    /// </summary>
    private void SpinForThePump()
    {
        if (Environment.ProcessorCount == 1)
        {
            return;
        }

        for (int i = 0; i < PumpSpins && _pumpReading && _items.CountHint == 0 && (_span is null || _span.Remaining == 0); i++)
        {
            Thread.SpinWait(1);
        }
    }

    /// <summary>Completes a batch whose first item was handed to the waiting consumer with the items available now.</summary>
    private T[] TakeAvailable(T first, int maxSize)
    {
        bool wakeWriter;
        bool publishPressure = false;
        TaskCompletionSource? releaseProducer = null;
        T[] batch;
        lock (_gate)
        {
            MoveLaneLocked();
            batch = TakeAvailableLocked(first, 1, maxSize, ref publishPressure, ref releaseProducer) ?? [first];
            wakeWriter = TakeWriterIfRoomLocked();
            UpdateFlagsLocked();
            AssertInvariants();
        }

        AfterTake(publishPressure, releaseProducer, wakeWriter);
        return batch;
    }

    /// <summary>
    /// Takes the deliverable items, up to <paramref name="maxSize"/> in all, into a new array after
    /// <paramref name="taken"/> items already taken (<paramref name="first"/>, when 1). Call under the gate.
    /// </summary>
    /// <returns>The batch, or null if nothing was deliverable and nothing was taken before.</returns>
    private T[]? TakeAvailableLocked(T first, int taken, int maxSize, ref bool publishPressure, ref TaskCompletionSource? releaseProducer)
    {
        int bound = Math.Min(maxSize, taken + CountHeldLocked() + (_hasPending ? 1 : 0));
        if (bound == taken)
        {
            return null;
        }

        var batch = new T[bound];
        if (taken == 1)
        {
            batch[0] = first;
        }

        int count = taken;
        if (!_hasPending && !_pressureOn && !_isKeyed && (_span?.Remaining ?? 0) == 0)
        {
            // What the loop below does item by item while freeing a slot does nothing more (no pending sample to admit,
            // no pressure to turn off, no key to forget), and no span holds older items (a batch consumer never fills
            // one): storage's oldest in one copy, counted once. A waiting pump is taken back after the batch either way.
            int fromStorage = Math.Min(bound - count, _items.Count);
            _items.DequeueInto(batch, count, fromStorage);
            count += fromStorage;
            _accounting.BufferedDelivered(count - taken);
        }

        while (count < bound && TryTakeLocked(out batch[count], ref publishPressure, ref releaseProducer))
        {
            count++;
        }

        if (count == 0)
        {
            return null;
        }

        if (count < bound)
        {
            Array.Resize(ref batch, count);
        }

        return batch;
    }

    /// <summary>
    /// Takes the next deliverable item: the oldest buffered one (then, latest wins, the pending sample takes the freed
    /// slot), or a deliverable pending sample. Updates pressure. Call under the gate.
    /// </summary>
    /// <returns>Whether an item was taken.</returns>
    private bool TryTakeLocked(out T item, ref bool publishPressure, ref TaskCompletionSource? releaseProducer)
    {
        item = default!;
        bool taken = _span is { } span && span.TryTakeOldest(out item);
        if (!taken && _span is not null)
        {
            _items.SpanUsedUp();
        }

        if (!taken && _items.Count > 0)
        {
            item = _items.DequeueHead();
            taken = true;
        }

        if (taken)
        {
            _accounting.BufferedDelivered();
            SlotFreedLocked(ref publishPressure, ref releaseProducer);
            return true;
        }

        if (_hasPending && (!_windowOpen || _pendingAdmitted))
        {
            item = TakePendingLocked();
            _accounting.BufferedDelivered();
            return true;
        }

        item = default!;
        return false;
    }

    /// <summary>
    /// Moves the oldest items into the consumer's span when it is used up, so the next reads take them without the
    /// gate. They stay held: nothing the producer sees changes. Call under the gate, by the consumer.
    /// </summary>
    private void FillSpanLocked()
    {
        if (_usesSpan && _items.Count > 0 && (_span is null || _span.Remaining == 0))
        {
            if (_span is null)
            {
                _span = new ConsumerSpan<T>(Math.Min(_items.Capacity, ConsumerSpan<T>.MaxLength));
                _items.AttachSpan(_span);
            }

            _span.Fill(_items);
            _spanBound = _span.Remaining;
        }
    }

    /// <summary>
    /// Takes the producer's credit back and moves what it appended into storage: from here to the next grant, every
    /// arrival takes the gate. Call under the gate, at the start of a producer's section and wherever a change makes
    /// an arrival do more than be buffered (a reader about to wait, a stop, the end).
    /// </summary>
    private void CloseLaneLocked()
    {
        if (_keyedLane is { } keyedLane)
        {
            _accounting.BufferedDropped(keyedLane.CloseLane(), DropReason.Replaced);
        }
        else
        {
            _lane.Close(_items);
        }
    }

    /// <summary>
    /// Moves what the producer appended into storage, keeping its credit: for a section that looks at the held items
    /// without changing what an arrival would do. Call under the gate.
    /// </summary>
    private void MoveLaneLocked()
    {
        if (_keyedLane is { } keyedLane)
        {
            _accounting.BufferedDropped(keyedLane.MoveLane(), DropReason.Replaced);
        }
        else
        {
            _lane.MoveTo(_items);
        }
    }

    /// <summary>
    /// At the end of a producer's section: grants the producer credit for the arrivals that would each only be
    /// buffered — none while a reader waits, pressure is on, a sample is pending, a window is open, the pump waits or
    /// the buffer accepts no more; otherwise as many as keep the held count below the capacity and the high watermark.
    /// Only the consumer changes the count until the next section, and it lowers it. Call under the gate.
    /// </summary>
    private void GrantLaneLocked()
    {
        if (!_usesSpan || (_isKeyed && _keyedLane is null))
        {
            return;
        }

        int room = ArrivalsOnlyBuffer ? LaneLimit - 1 - CountHeldLocked() : 0;
        if (_keyedLane is { } keyedLane)
        {
            keyedLane.GrantLane(room);
        }
        else
        {
            _lane.Grant(room);
        }
    }

    /// <summary>
    /// A section beside the consumer starts: the effects of a take the consumer made from its span without the gate
    /// happen before this section reads the held count (the consumer's own catch-up may come later and then finds
    /// nothing to do). Call under the gate.
    /// </summary>
    private void CatchUpLocked(ref bool publishPressure, ref TaskCompletionSource? releaseProducer, ref bool wakeWriter)
    {
        if (_attention)
        {
            AfterTakeLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
        }
    }

    /// <summary>The consumer took an item from its span and <see cref="_attention"/> was set: do under the gate what freeing the slot does.</summary>
    private void CatchUp()
    {
        bool publishPressure = false;
        TaskCompletionSource? releaseProducer = null;
        bool wakeWriter = false;
        lock (_gate)
        {
            AfterTakeLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            UpdateFlagsLocked();
            AssertInvariants();
        }

        AfterTake(publishPressure, releaseProducer, wakeWriter);
    }

    /// <summary>
    /// What freeing a slot does besides freeing it: the pending sample takes the slot (latest wins), pressure turns
    /// off at the low watermark, a pump waiting for room may read again. Each step checks the state, so running it
    /// when no slot was freed changes nothing. Call under the gate.
    /// </summary>
    private void AfterTakeLocked(ref bool publishPressure, ref TaskCompletionSource? releaseProducer, ref bool wakeWriter)
    {
        SlotFreedLocked(ref publishPressure, ref releaseProducer);
        wakeWriter |= TakeWriterIfRoomLocked();
    }

    /// <summary>
    /// What freeing a slot does to the buffer itself: the pending sample takes the slot (latest wins) and pressure
    /// turns off at the low watermark. Both check the state first. Call under the gate.
    /// </summary>
    private void SlotFreedLocked(ref bool publishPressure, ref TaskCompletionSource? releaseProducer)
    {
        if (_hasPending && !_windowOpen && !IsFullLocked())
        {
            _items.Enqueue(_pending);
            _pending = default!;
            _hasPending = false;
        }

        publishPressure |= UpdatePressureAfterDequeueLocked(ref releaseProducer);
    }

    /// <summary>
    /// Makes room for an arrival at a full buffer by evicting the oldest or the newest held item. The consumer may
    /// take from its span meanwhile: the eviction then fails, because there is room. Call under the gate.
    /// </summary>
    /// <param name="oldest">True to evict the oldest item, false the newest.</param>
    /// <param name="victim">The evicted item.</param>
    /// <returns>False when the buffer is not full (any more): nothing was evicted.</returns>
    private bool TryEvictLocked(bool oldest, out T victim)
    {
        // The held count is storage plus span; only the span's part can fall meanwhile.
        int inSpan = _items.Capacity - _items.Count;
        if (inSpan == 0)
        {
            // Storage alone is full, so the span is empty and the consumer can take nothing without the gate.
            victim = oldest ? _items.DequeueHead() : _items.RemoveTail();
            return true;
        }

        if (_span is not { } span)
        {
            victim = default!;
            return false;
        }

        if (oldest)
        {
            return span.TryEvictOldest(inSpan, out victim);
        }

        if (_items.Count > 0)
        {
            // The newest is in storage, which the consumer does not touch: full now means full for this eviction.
            bool full = span.Remaining == inSpan;
            victim = full ? _items.RemoveTail() : default!;
            return full;
        }

        return span.TryEvictNewest(inSpan, out victim);
    }

    /// <summary>
    /// Whether an arrival finds room. Room the consumer made without the gate is first given what freeing a slot
    /// does (<see cref="AfterTakeLocked"/>): a pending sample takes it before the arrival can. Since the held count
    /// only falls meanwhile, room seen here is seen by that catch-up too. Call under the gate, beside the consumer.
    /// </summary>
    /// <returns>True when there is room for the arrival.</returns>
    private bool HasRoomLocked(ref bool publishPressure, ref TaskCompletionSource? releaseProducer, ref bool wakeWriter)
    {
        if (IsFullLocked())
        {
            return false;
        }

        if (_attention)
        {
            AfterTakeLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
        }

        return !IsFullLocked();
    }

    /// <summary>
    /// Counts the items held, in storage and in the consumer's span, and refreshes <see cref="_spanBound"/>. Beside the
    /// consumer the count can only fall (until the consumer's next fill, under the gate). Call under the gate.
    /// </summary>
    /// <returns>The items held now.</returns>
    private int CountHeldLocked()
    {
        _spanBound = _span?.Remaining ?? 0;
        return _items.Count + _spanBound;
    }

    /// <summary>
    /// A lower bound of the items held, read without the gate by the producer: the span's count first, then
    /// storage's. A fill takes items out of storage before it publishes them in the span, evictions and takes only
    /// lower the two counts, and only the producer adds to storage (the lane's items, not counted here, may move into
    /// it). So the sum never exceeds the items held when the span's count was read. When it reaches the capacity,
    /// the buffer was full at that moment: no reader was waiting, and the locked path would have discarded the
    /// arrival (or, after the end, ignored it, which nobody observes either).
    /// </summary>
    /// <returns>At most the items held when the span's count was read.</returns>
    private int HeldLowerBound() => (_span?.Remaining ?? 0) + _items.Count;

    /// <summary>Whether the held items fill the capacity. Call under the gate.</summary>
    /// <returns>True when full.</returns>
    private bool IsFullLocked() => _items.Count + _spanBound >= _items.Capacity && CountHeldLocked() == _items.Capacity;

    /// <summary>What a take decided under the gate and must do after it: release a producer, publish pressure, wake the pump.</summary>
    private void AfterTake(bool publishPressure, TaskCompletionSource? releaseProducer, bool wakeWriter)
    {
        releaseProducer?.TrySetResult();
        if (publishPressure)
        {
            PublishPressure();
        }

        if (wakeWriter)
        {
            _writer.Complete(true);
        }
    }

    /// <summary>
    /// LatestByKey: replaces the held value of the arrival's key in place (the replaced value is dropped). The key
    /// selector and comparer are user code: if they throw, nothing was changed, the arrival is dropped and the
    /// sequence fails with the exception. Call under the gate.
    /// </summary>
    /// <returns>True when the arrival was dealt with; false when it is a new key to store.</returns>
    private bool TryReplaceKeyedLocked(T item, ref T dropped, ref bool hasDropped, ref Exception? fault)
    {
        try
        {
            if (!_items.TryReplace(item, out T replaced))
            {
                return false;
            }

            dropped = replaced;
            _accounting.ReceivedAndDropped(DropReason.Replaced);
        }
        catch (Exception ex)
        {
            dropped = item;
            fault = ex;
            _accounting.ReceivedAndDropped(DropReason.Stopped);
        }

        hasDropped = true;
        return true;
    }

    /// <summary>Makes <paramref name="item"/> the pending sample; an earlier one is dropped. Call under the gate.</summary>
    private void ReplacePendingLocked(T item, ref T dropped, ref bool hasDropped)
    {
        if (_hasPending)
        {
            dropped = _pending;
            hasDropped = true;
            _accounting.ReceivedAndDropped(DropReason.Replaced);
        }
        else
        {
            _accounting.ReceivedAndBuffered();
        }

        _pending = item;
        _hasPending = true;
        _pendingAdmitted = false;
    }

    /// <summary>Removes and returns the pending sample. Call under the gate.</summary>
    private T TakePendingLocked()
    {
        T pending = _pending;
        _pending = default!;
        _hasPending = false;
        _pendingAdmitted = false;
        return pending;
    }

    /// <summary>
    /// How many items the pump may read before it writes: the room left before the buffer is full or pressure turns
    /// on; 0 when it must wait. The held count can only fall meanwhile, so the room counted here is still there when
    /// the items arrive, and each item of the run is only buffered. A policy that does not pause the source never
    /// waits: where the room is spent its budget is 1, so the policy (or the pressure) meets each arrival as it is
    /// read, and an arrival that ends the sequence (Error's overflow, a throwing <c>onDropped</c>) is the last the
    /// source is asked for. Call under the gate.
    /// </summary>
    private int PumpBudgetLocked()
    {
        if (_terminal)
        {
            return 0;
        }

        if (_pausesSource && !CanWrite())
        {
            return 0;
        }

        int held = CountHeldLocked();
        int room = _items.Capacity - held;
        int budget = _highWatermark > 0 ? Math.Min(room, _highWatermark - held) : room;
        return _pausesSource ? budget : Math.Max(1, budget);
    }

    /// <summary>Whether the pump may read another item: room left and pressure off. Call under the gate.</summary>
    private bool CanWrite() => !_pressureOn && !IsFullLocked();

    /// <summary>Takes the waiting pump if it may read again. Call under the gate.</summary>
    private bool TakeWriterIfRoomLocked()
    {
        if (_writerWaiting && CanWrite())
        {
            _writerWaiting = false;
            return true;
        }

        return false;
    }

    /// <summary>Turns pressure on at the high watermark. Call under the gate.</summary>
    /// <returns>Whether a transition must be published.</returns>
    private bool UpdatePressureAfterEnqueueLocked()
    {
        if (_highWatermark > 0 && !_pressureOn && _items.Count + _spanBound >= _highWatermark && CountHeldLocked() >= _highWatermark)
        {
            TaskCompletionSource? none = null;
            SetPressureLocked(true, ref none);
            Debug.Assert(none is null, "turning pressure on released a producer");
            return _pressurePublication is not null;
        }

        return false;
    }

    /// <summary>Turns pressure off at the low watermark. Call under the gate.</summary>
    /// <returns>Whether a transition must be published.</returns>
    private bool UpdatePressureAfterDequeueLocked(ref TaskCompletionSource? releaseProducer)
    {
        if (_pressureOn && CountHeldLocked() <= _policy.LowWatermark)
        {
            SetPressureLocked(false, ref releaseProducer);
            return _pressurePublication is not null;
        }

        return false;
    }

    /// <summary>Decides a pressure transition: counts it, and tells a decision-following observer at once. Call under the gate.</summary>
    private void SetPressureLocked(bool on, ref TaskCompletionSource? releaseProducer)
    {
        _pressureOn = on;
        _pressureDecided++;
        _accounting.Pressure(on);
        releaseProducer = _pressureDecisions?.PressureDecided(on);
    }

    /// <summary>Closes the sampling window, if open, and returns its timer for disposal. Call under the gate.</summary>
    private IDisposable? CloseWindowLocked()
    {
        IDisposable? timer = _windowTimer;
        _windowTimer = null;
        _windowOpen = false;
        _pendingAdmitted = false;
        return timer;
    }

    /// <summary>
    /// Ends the sequence after the held items: from the source (completion or error), or because code around it
    /// failed (a throwing <c>onDropped</c>, pressure observer or scheduler). The first end stands.
    /// </summary>
    private void End(Exception? error, bool fromSource)
    {
        bool wakeWriter;
        IDisposable? timer;
        IDisposable? upstream;

        lock (_gate)
        {
            if (fromSource)
            {
                if (_sourceEnded)
                {
                    return;
                }

                _sourceEnded = true;
            }

            if (_terminal)
            {
                return;
            }

            _terminal = true;
            _settling = true;
            CloseLaneLocked();
            upstream = TakeUpstreamLocked();

            // The pending sample becomes deliverable at once, without waiting for its window.
            timer = CloseWindowLocked();
            wakeWriter = _writerWaiting;
            _writerWaiting = false;
            UpdateFlagsLocked();
        }

        Exception? fault = Faults.TryDispose(upstream);
        fault = Faults.Combine(fault, Faults.TryDispose(timer));
        if (wakeWriter)
        {
            _writer.Complete(false);
        }

        Settle(error, fault);
    }

    /// <summary>
    /// The upstream was disposed at an overflow with <see cref="BufferOverflow.Error"/>: report the item, then let the
    /// consumer see the <see cref="BufferOverflowException"/> (carrying what <c>onDropped</c> threw).
    /// </summary>
    private void Overflowed(IDisposable? upstream, T item)
    {
        Exception? fault = Faults.TryDispose(upstream);
        Exception? dropError = _policy.OnDropped is { } onDropped ? Faults.TryInvoke(onDropped, item) : null;
        Settle(new BufferOverflowException(_items.Capacity, dropError), fault);
    }

    /// <summary>
    /// Makes the decided end known to the consumer: the error (or, after a normal completion, the fault), with a
    /// fault that meets an error kept in the error's <see cref="Exception.Data"/>; wakes a waiting reader.
    /// </summary>
    private void Settle(Exception? error, Exception? fault)
    {
        error = Faults.EndError(error, fault);
        bool wakeReader = false;
        bool deliverPending = false;
        lock (_gate)
        {
            _settling = false;
            _error = error;
            if (_stopped && !_readerWaiting)
            {
                _lateFault = Faults.Combine(_lateFault, fault);
                return;
            }

            // Not stopped; or stopped while this end was settling, with the reader that waited left to it (see Stop).
            if (_readerWaiting)
            {
                _readerWaiting = false;
                wakeReader = true;
                if (_hasPending)
                {
                    deliverPending = true;
                    CurrentSlot = TakePendingLocked();
                    _accounting.BufferedDelivered();
                }
                else if (CountHeldLocked() == 0)
                {
                    _finished = true;
                }
                else
                {
                    Debug.Fail("a reader waited while items were buffered");
                }
            }

            UpdateFlagsLocked();
            AssertInvariants();
        }

        if (!wakeReader)
        {
            return;
        }

        if (deliverPending || error is null)
        {
            _reader.Complete(deliverPending);
        }
        else
        {
            _reader.Fail(error);
        }
    }

    /// <summary>Code around the buffer failed: the sequence fails with <paramref name="fault"/>, or the consumer gets it from <c>DisposeAsync</c>.</summary>
    private void Fault(Exception fault)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                _lateFault = Faults.Combine(_lateFault, fault);
                return;
            }
        }

        End(fault, fromSource: false);
    }

    /// <summary>Marks the upstream disposed and takes it for disposal after the gate is released. Call under the gate.</summary>
    private IDisposable? TakeUpstreamLocked()
    {
        _upstreamDisposed = true;
        IDisposable? upstream = _upstream;
        _upstream = null;
        return upstream;
    }

    private void ReportDropped(T item)
    {
        if (_policy.OnDropped is { } onDropped && Faults.TryInvoke(onDropped, item) is { } error)
        {
            // A throwing callback fails the sequence like a source error; if it already ended, the first end stands.
            Fault(error);
        }
    }

    /// <summary>Starts the timer that closes window <paramref name="windowId"/>; a scheduler that throws fails the sequence.</summary>
    private void ScheduleWindow(long windowId)
    {
        IScheduler scheduler = _policy.Scheduler ?? DefaultScheduler.Instance;
        IDisposable timer;
        try
        {
            timer = scheduler.Schedule(
                (Buffer: this, Id: windowId),
                _policy.Period,
                static (_, state) =>
                {
                    state.Buffer.CloseWindow(state.Id);
                    return Disposable.Empty;
                });
        }
        catch (Exception ex)
        {
            // The window can never close: end the sequence, which delivers the pending sample before the error.
            Fault(ex);
            return;
        }

        lock (_gate)
        {
            if (_windowOpen && _windowId == windowId)
            {
                _windowTimer = timer;
                return;
            }
        }

        if (Faults.TryDispose(timer) is { } fault)
        {
            Fault(fault);
        }
    }

    /// <summary>
    /// The window's timer fired. A pending sample is admitted (handed to a waiting consumer, or buffered, evicting the
    /// oldest item if still full) and the next window opens at once: the surge is still on. A window that closes
    /// with nothing pending ends the surge, and arrivals are buffered again while there is room.
    /// </summary>
    private void CloseWindow(long windowId)
    {
        T evicted = default!;
        bool hasEvicted = false;
        bool handOff = false;
        long nextWindow = 0;

        lock (_gate)
        {
            if (!_windowOpen || _windowId != windowId)
            {
                return;
            }

            Debug.Assert(_policy.HighWatermark == 0, "sampling never signals pressure");
            _windowTimer = null;
            if (_hasPending && !_pendingAdmitted)
            {
                if (_readerWaiting)
                {
                    _readerWaiting = false;
                    CurrentSlot = TakePendingLocked();
                    handOff = true;
                    _accounting.BufferedDelivered();
                }
                else if (_items.Capacity == 0)
                {
                    // Capacity 0: the pending sample is the only storage and goes to the next pull.
                    _pendingAdmitted = true;
                }
                else
                {
                    if (TryEvictLocked(oldest: true, out evicted))
                    {
                        hasEvicted = true;
                        _accounting.BufferedDropped(1, DropReason.Evicted);
                    }

                    _items.Enqueue(TakePendingLocked());
                }

                nextWindow = ++_windowId;
            }
            else
            {
                _windowOpen = false;
                _pendingAdmitted = false;
            }

            UpdateFlagsLocked();
            AssertInvariants();
        }

        // The next window's timer is started before the consumer resumes, so it is due exactly one period after this close.
        if (nextWindow != 0)
        {
            ScheduleWindow(nextWindow);
        }

        if (handOff)
        {
            _reader.Complete(true);
        }

        if (hasEvicted)
        {
            ReportDropped(evicted);
        }
    }

    /// <summary>
    /// Publishes decided pressure transitions to a plain observer in decision order, never overlapping, outside the
    /// gate. A transition decided while another thread publishes is published by that thread before it returns; one
    /// decided on the publishing thread itself (re-entrantly, from inside the observer's <c>OnNext</c>) is published
    /// nested, right here, as a <c>Subject</c> would. Nothing is published after the consumer stopped.
    /// </summary>
    private void PublishPressure()
    {
        IObserver<bool>? observer = _pressurePublication;
        if (observer is null)
        {
            return;
        }

        int thread = Environment.CurrentManagedThreadId;
        bool nested;
        lock (_gate)
        {
            nested = _pressurePublisher == thread;
            if (_pressurePublisher != 0 && !nested)
            {
                return;
            }

            _pressurePublisher = thread;
        }

        while (true)
        {
            bool value;
            lock (_gate)
            {
                if (_stopped || _publicationFailed || _pressurePublished == _pressureDecided)
                {
                    if (!nested)
                    {
                        _pressurePublisher = 0;
                    }

                    return;
                }

                _pressurePublished++;
                value = (_pressurePublished & 1) == 1;
            }

            try
            {
                observer.OnNext(value);
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    // Publication ends with the failure: later transitions are not published.
                    _publicationFailed = true;
                    if (!nested)
                    {
                        _pressurePublisher = 0;
                    }
                }

                Fault(ex);
                return;
            }
        }
    }

    /// <summary>
    /// Keeps <see cref="_rejecting"/> (no span) equal to "an arrival would be discarded now" and <see cref="_attention"/> equal
    /// to "freeing a slot has an effect". Call under the gate after a change, from a section the consumer runs (it
    /// takes nothing meanwhile) or one that cannot raise <see cref="_attention"/>.
    /// </summary>
    /// <returns>Whether <see cref="_attention"/> rose: the consumer may have taken an item without seeing it.</returns>
    private bool UpdateFlagsLocked()
    {
        if (_unobservedDrops && !_usesSpan)
        {
            bool rejecting = IsFullLocked() && !_readerWaiting && !_terminal;
            if (rejecting != _rejecting)
            {
                _rejecting = rejecting;
            }
        }

        if (_usesSpan)
        {
            bool attention = _writerWaiting || _pressureOn || _hasPending;
            if (attention != _attention)
            {
                _attention = attention;
                if (attention)
                {
                    // Pairs with the consumer's compare-and-swap: either it sees the flag and catches up itself, or
                    // the count read after this fence includes its take.
                    Interlocked.MemoryBarrier();
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <see cref="UpdateFlagsLocked()"/> for a section that runs beside the consumer: when <see cref="_attention"/>
    /// rises, does at once what a take the consumer made without seeing it would have done. Call under the gate.
    /// </summary>
    private void UpdateFlagsLocked(ref bool publishPressure, ref TaskCompletionSource? releaseProducer, ref bool wakeWriter)
    {
        // No catch-up needed if attention was already up: the consumer then catches up itself.
        if (UpdateFlagsLocked())
        {
            AfterTakeLocked(ref publishPressure, ref releaseProducer, ref wakeWriter);
            UpdateFlagsLocked();
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        // Below capacity 2 there is no span, so nothing frees a slot without the gate: the flag is exact.
        bool discards = IsFullLocked() && !_readerWaiting && !_terminal;
        Debug.Assert(!_unobservedDrops || _usesSpan || _rejecting == discards, "the fast path's flag disagrees with the state");
        Debug.Assert(!_rejecting || !_usesSpan, "the flag is kept only without a span");
        Debug.Assert(_attention == (_usesSpan && (_writerWaiting || _pressureOn || _hasPending)), "the attention flag disagrees with the state");
        Debug.Assert(_usesSpan || _span is null, "a span without its policy");
        _items.AssertInvariants();
        int held = _items.Count + (_span?.Remaining ?? 0);
        Debug.Assert(_spanBound >= held - _items.Count, "the span's bound is below its count");
        Debug.Assert(held <= _items.Capacity, "more held than the capacity");
        Debug.Assert(!_readerWaiting || held == 0, "a reader waits while items are buffered");
        Debug.Assert(!_readerWaiting || !_hasPending || (_windowOpen && !_pendingAdmitted) || _settling, "a reader waits while a deliverable sample is pending (outside an end being settled, which hands it over)");
        Debug.Assert(!_pendingAdmitted || (_hasPending && _items.Capacity == 0), "an admitted sample outside capacity 0");
        if ((_keyedLane?.LaneCountAndCredit ?? _lane.CountAndCredit) is var laneShare and > 0)
        {
            Debug.Assert((_keyedLane?.LaneCredit ?? _lane.Credit) == 0 || ArrivalsOnlyBuffer, "the producer has credit while an arrival would do more than be buffered");
            Debug.Assert(held + laneShare < LaneLimit, "the producer's credit reaches the capacity or the high watermark");
        }
    }
}
