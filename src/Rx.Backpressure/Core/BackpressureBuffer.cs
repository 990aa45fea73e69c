using System;
using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.Backpressure.Core;

/// <summary>
/// The one bounded buffer behind every operator and both shapes: a ring of exactly <c>capacity</c> slots, an
/// optional pending sample, the overflow policy, pressure watermarks, and two single-waiter signals (the
/// consumer waiting for an item, the pump waiting for room).
/// </summary>
/// <remarks>
/// One gate guards all state. Decisions are made under the gate; everything that runs user code or may
/// re-enter — <c>onDropped</c>, the pressure observer, waking a waiter, disposing the upstream, scheduling a
/// timer — runs after it is released.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class BackpressureBuffer<T>
{
    /// <summary>Guards every mutable field below.</summary>
    private readonly Lock _gate = new();

    /// <summary>The operator's configuration.</summary>
    private readonly BufferPolicy<T> _policy;

    /// <summary>Where counts and metrics are reported.</summary>
    private readonly Accounting _accounting;

    /// <summary>The consumer's wait for an item (or the end).</summary>
    private readonly AsyncSignal _reader;

    /// <summary>The pump's wait for room or for pressure to turn off (pull shape).</summary>
    private readonly AsyncSignal _writer;

    /// <summary>The buffered items, oldest first.</summary>
    private Ring<T> _ring;

    /// <summary>Whether <see cref="_pending"/> holds a sample (SampleWhenFull).</summary>
    private bool _hasPending;

    /// <summary>The pending sample, valid when <see cref="_hasPending"/>.</summary>
    private T _pending = default!;

    /// <summary>Whether a sampling window is open (periodic SampleWhenFull).</summary>
    private bool _windowOpen;

    /// <summary>Identifies the current window, so a late timer of an earlier window does nothing.</summary>
    private long _windowId;

    /// <summary>The timer that closes the open window.</summary>
    private IDisposable? _windowTimer;

    /// <summary>Whether the consumer is waiting in <see cref="ReadAsync"/>.</summary>
    private bool _readerWaiting;

    /// <summary>Whether the pump is waiting in <see cref="WaitForRoomAsync"/>.</summary>
    private bool _writerWaiting;

    /// <summary>The item the last successful read produced.</summary>
    private T _current = default!;

    /// <summary>No more items will be accepted (the source ended, the operator failed, or the consumer stopped).</summary>
    private bool _terminal;

    /// <summary>The source itself signalled its end: later <c>OnNext</c> calls are ignored.</summary>
    private bool _sourceEnded;

    /// <summary>The error to throw after the buffered items, if the sequence failed.</summary>
    private Exception? _error;

    /// <summary>The consumer has been given the end of the sequence (false or the error).</summary>
    private bool _finished;

    /// <summary>The consumer stopped (dispose or cancellation).</summary>
    private bool _stopped;

    /// <summary>Why the consumer stopped, when it was cancelled; null after a plain dispose.</summary>
    private OperationCanceledException? _cancellation;

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

    /// <summary>Whether a thread is publishing pressure transitions (keeps them in order).</summary>
    private bool _pressurePublishing;

    /// <summary>Initializes a new instance of the <see cref="BackpressureBuffer{T}"/> class.</summary>
    /// <param name="policy">The operator's validated configuration.</param>
    public BackpressureBuffer(BufferPolicy<T> policy)
    {
        _policy = policy;
        _ring = new Ring<T>(policy.Capacity);
        _accounting = new Accounting(policy.Counters, policy.OperatorName, policy.PipelineName);
        bool inline = policy.Scheduler is not null;
        _reader = new AsyncSignal(!inline);
        _writer = new AsyncSignal(!inline);
    }

    /// <summary>Gets the item produced by the last read that returned true.</summary>
    public T Current => _current;

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

        upstream.Dispose();
    }

    /// <summary>Offers an item from the source (<c>OnNext</c> or the pump).</summary>
    /// <param name="item">The item.</param>
    public void Write(T item)
    {
        T dropped = default!;
        bool hasDropped = false;
        bool handOff = false;
        IDisposable? upstream = null;
        bool openedWindow = false;
        bool pressureChanged = false;
        long windowId = 0;

        lock (_gate)
        {
            if (_sourceEnded)
            {
                return;
            }

            if (_terminal)
            {
                dropped = item;
                hasDropped = true;
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
                _current = item;
                handOff = true;
                _accounting.ReceivedAndDelivered();
            }
            else if (_ring.Count < _ring.Capacity)
            {
                _ring.Enqueue(item);
                _accounting.ReceivedAndBuffered();
                pressureChanged = UpdatePressureAfterEnqueue();
            }
            else if (_policy.Sampling != SampleMode.None)
            {
                ReplacePendingLocked(item, ref dropped, ref hasDropped);
                if (_policy.Sampling == SampleMode.Periodic)
                {
                    _windowOpen = true;
                    windowId = ++_windowId;
                    openedWindow = true;
                }
            }
            else
            {
                DropReason reason = DropReason.Overflow;
                switch (_policy.Overflow)
                {
                    case BufferOverflow.DropOldest:
                        dropped = _ring.DequeueHead();
                        _ring.Enqueue(item);
                        reason = DropReason.Evicted;
                        break;
                    case BufferOverflow.DropNewest:
                        dropped = _ring.RemoveTail();
                        _ring.Enqueue(item);
                        reason = DropReason.Evicted;
                        break;
                    case BufferOverflow.Error:
                        dropped = item;
                        _terminal = true;
                        _error = new BufferOverflowException(_ring.Capacity);
                        upstream = TakeUpstreamLocked();
                        break;
                    default:
                        // DropIncoming, and Wait if a pump ever wrote without room (it does not: it waits first).
                        dropped = item;
                        break;
                }

                hasDropped = true;
                _accounting.ReceivedAndDropped(reason);
            }

            AssertInvariants();
        }

        if (handOff)
        {
            _reader.Complete(true);
        }

        upstream?.Dispose();

        if (openedWindow)
        {
            ScheduleWindow(windowId);
        }

        if (pressureChanged)
        {
            PublishPressure();
        }

        if (hasDropped)
        {
            ReportDropped(dropped);
        }
    }

    /// <summary>The source completed: deliver what is held, then end.</summary>
    public void Complete() => End(null, fromSource: true);

    /// <summary>The source failed: deliver what is held, then throw <paramref name="error"/>.</summary>
    /// <param name="error">The source's exception, thrown as the same instance.</param>
    public void Fail(Exception error) => End(error, fromSource: true);

    /// <summary>Reads the next item into <see cref="Current"/>.</summary>
    /// <returns>True with an item; false at the end; faults with the source's error, the overflow, or cancellation.</returns>
    public ValueTask<bool> ReadAsync()
    {
        bool wakeWriter = false;
        bool pressureChanged = false;
        ValueTask<bool> result;

        lock (_gate)
        {
            if (_readerWaiting || _reader.IsAwaited)
            {
                throw new InvalidOperationException(
                    $"{_policy.OperatorName}: MoveNextAsync was called while a previous MoveNextAsync on the same enumerator was still pending. Await each call before making the next.");
            }

            if (_stopped)
            {
                return _cancellation is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_cancellation);
            }

            if (_ring.Count > 0)
            {
                _current = _ring.DequeueHead();
                _accounting.BufferedDelivered();
                if (_hasPending && !_windowOpen)
                {
                    // Latest wins: the pending sample takes the freed slot.
                    _ring.Enqueue(_pending);
                    _pending = default!;
                    _hasPending = false;
                }

                pressureChanged = UpdatePressureAfterDequeue();
                wakeWriter = _writerWaiting && CanWrite();
                _writerWaiting &= !wakeWriter;
                result = new ValueTask<bool>(true);
            }
            else if (_hasPending && !_windowOpen)
            {
                _current = _pending;
                _pending = default!;
                _hasPending = false;
                _accounting.BufferedDelivered();
                wakeWriter = _writerWaiting && CanWrite();
                _writerWaiting &= !wakeWriter;
                result = new ValueTask<bool>(true);
            }
            else if (_terminal)
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

            AssertInvariants();
        }

        if (pressureChanged)
        {
            PublishPressure();
        }

        if (wakeWriter)
        {
            _writer.Complete(true);
        }

        return result;
    }

    /// <summary>
    /// The pump asks whether it may read the next item from the source. Completes at once unless the policy
    /// pauses the source and there is no room (Wait) or pressure is on (ThrottleOnPressure).
    /// </summary>
    /// <returns>True to read on; false when the buffer accepts no more items.</returns>
    public ValueTask<bool> WaitForRoomAsync()
    {
        lock (_gate)
        {
            if (_terminal)
            {
                return new ValueTask<bool>(false);
            }

            if (!_policy.PausesSource || CanWrite())
            {
                return new ValueTask<bool>(true);
            }

            _writerWaiting = true;
            return _writer.Wait();
        }
    }

    /// <summary>
    /// The consumer stopped (<c>DisposeAsync</c>, or cancellation): dispose the upstream at once, end a pending
    /// read with <see cref="OperationCanceledException"/>, and report every item still held to <c>onDropped</c>.
    /// </summary>
    /// <param name="cancellation">The cancellation, or null for a dispose.</param>
    /// <returns>The first exception <c>onDropped</c> threw while reporting, or null.</returns>
    public Exception? Stop(OperationCanceledException? cancellation)
    {
        T[] leftOver;
        T pending = default!;
        bool hadPending;
        bool wakeReader;
        bool wakeWriter;
        IDisposable? timer;
        IDisposable? upstream;
        IPressureDecision? releaseGate = null;

        lock (_gate)
        {
            if (_stopped)
            {
                return null;
            }

            _stopped = true;
            _terminal = true;
            _cancellation = cancellation;
            wakeReader = _readerWaiting;
            _readerWaiting = false;
            wakeWriter = _writerWaiting;
            _writerWaiting = false;
            timer = CloseWindowLocked();
            leftOver = _ring.DrainToArray();
            hadPending = _hasPending;
            if (hadPending)
            {
                pending = _pending;
                _pending = default!;
                _hasPending = false;
            }

            upstream = TakeUpstreamLocked();
            _accounting.BufferedDropped(leftOver.Length + (hadPending ? 1 : 0), DropReason.Stopped);
            if (_pressureOn)
            {
                // Nothing is published after the consumer stopped, but the metric must not stay raised, and a
                // PressureGate must not keep its producer waiting for an "off" that will never come.
                _pressureOn = false;
                _accounting.Pressure(false);
                releaseGate = _policy.Pressure as IPressureDecision;
            }
        }

        upstream?.Dispose();
        timer?.Dispose();
        releaseGate?.ConsumerStopped();
        if (wakeReader)
        {
            _reader.Fail(cancellation ?? new OperationCanceledException($"{_policy.OperatorName}: the enumerator was disposed while MoveNextAsync was pending."));
        }

        if (wakeWriter)
        {
            _writer.Complete(false);
        }

        Exception? first = null;
        Action<T>? onDropped = _policy.OnDropped;
        if (onDropped is not null)
        {
            foreach (T item in leftOver)
            {
                Exception? error = TryInvoke(onDropped, item);
                first ??= error;
            }

            if (hadPending)
            {
                Exception? error = TryInvoke(onDropped, pending);
                first ??= error;
            }
        }

        return first;
    }

    /// <summary>Returns the buffered items and the pending sample (tests and diagnostics).</summary>
    /// <returns>A snapshot.</returns>
    internal (T[] Buffered, bool HasPending, T Pending) Snapshot()
    {
        lock (_gate)
        {
            return (_ring.ToArray(), _hasPending, _pending);
        }
    }

    private static Exception? TryInvoke(Action<T> onDropped, T item)
    {
        try
        {
            onDropped(item);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
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
    }

    /// <summary>Whether the pump may read another item: room left and pressure off. Call under the gate.</summary>
    private bool CanWrite() => !_pressureOn && _ring.Count < _ring.Capacity;

    private bool UpdatePressureAfterEnqueue()
    {
        if (_policy.HighWatermark > 0 && !_pressureOn && _ring.Count >= _policy.HighWatermark)
        {
            _pressureOn = true;
            _pressureDecided++;
            _accounting.Pressure(true);
            (_policy.Pressure as IPressureDecision)?.PressureDecided(true);
            return true;
        }

        return false;
    }

    private bool UpdatePressureAfterDequeue()
    {
        if (_pressureOn && _ring.Count <= _policy.LowWatermark)
        {
            _pressureOn = false;
            _pressureDecided++;
            _accounting.Pressure(false);
            (_policy.Pressure as IPressureDecision)?.PressureDecided(false);
            return true;
        }

        return false;
    }

    /// <summary>Closes the sampling window, if open, and returns its timer for disposal. Call under the gate.</summary>
    private IDisposable? CloseWindowLocked()
    {
        IDisposable? timer = _windowTimer;
        _windowTimer = null;
        _windowOpen = false;
        return timer;
    }

    private void End(Exception? error, bool fromSource)
    {
        bool wakeReader = false;
        bool deliverPending = false;
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
            _error = error;
            upstream = TakeUpstreamLocked();

            // The pending sample becomes deliverable at once, without waiting for its window.
            timer = CloseWindowLocked();
            if (_readerWaiting)
            {
                _readerWaiting = false;
                wakeReader = true;
                if (_hasPending)
                {
                    deliverPending = true;
                    _current = _pending;
                    _pending = default!;
                    _hasPending = false;
                    _accounting.BufferedDelivered();
                }
                else
                {
                    _finished = true;
                }
            }

            wakeWriter = _writerWaiting;
            _writerWaiting = false;
        }

        upstream?.Dispose();
        timer?.Dispose();
        if (wakeWriter)
        {
            _writer.Complete(false);
        }

        if (wakeReader)
        {
            if (deliverPending || error is null)
            {
                _reader.Complete(deliverPending);
            }
            else
            {
                _reader.Fail(error);
            }
        }
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
        Action<T>? onDropped = _policy.OnDropped;
        if (onDropped is null)
        {
            return;
        }

        Exception? error = TryInvoke(onDropped, item);
        if (error is not null)
        {
            // A throwing callback fails the sequence like a source error; if it already ended, the first end stands.
            End(error, fromSource: false);
        }
    }

    private void ScheduleWindow(long windowId)
    {
        IScheduler scheduler = _policy.Scheduler ?? DefaultScheduler.Instance;
        IDisposable timer = scheduler.Schedule(
            (Buffer: this, Id: windowId),
            _policy.Period,
            static (_, state) =>
            {
                state.Buffer.CloseWindow(state.Id);
                return Disposable.Empty;
            });

        lock (_gate)
        {
            if (_windowOpen && _windowId == windowId)
            {
                _windowTimer = timer;
                return;
            }
        }

        timer.Dispose();
    }

    /// <summary>The window's timer fired: admit the pending sample, evicting the oldest item if still full.</summary>
    private void CloseWindow(long windowId)
    {
        T evicted = default!;
        bool hasEvicted = false;
        bool handOff = false;
        bool pressureChanged = false;

        lock (_gate)
        {
            if (!_windowOpen || _windowId != windowId)
            {
                return;
            }

            _windowOpen = false;
            _windowTimer = null;
            if (_hasPending)
            {
                if (_readerWaiting)
                {
                    _readerWaiting = false;
                    _current = _pending;
                    handOff = true;
                    _accounting.BufferedDelivered();
                }
                else if (_ring.Capacity == 0)
                {
                    // Capacity 0: the pending sample is the only storage and waits for the next pull.
                    AssertInvariants();
                    return;
                }
                else
                {
                    if (_ring.Count == _ring.Capacity)
                    {
                        evicted = _ring.DequeueHead();
                        hasEvicted = true;
                        _accounting.BufferedDropped(1, DropReason.Evicted);
                    }

                    _ring.Enqueue(_pending);
                    pressureChanged = UpdatePressureAfterEnqueue();
                }

                _pending = default!;
                _hasPending = false;
            }

            AssertInvariants();
        }

        if (handOff)
        {
            _reader.Complete(true);
        }

        if (pressureChanged)
        {
            PublishPressure();
        }

        if (hasEvicted)
        {
            ReportDropped(evicted);
        }
    }

    /// <summary>
    /// Publishes decided pressure transitions in order, one thread at a time, outside the gate. Nothing is
    /// published after the consumer stopped.
    /// </summary>
    private void PublishPressure()
    {
        IObserver<bool>? observer = _policy.Pressure;
        if (observer is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_pressurePublishing)
            {
                return;
            }

            _pressurePublishing = true;
        }

        while (true)
        {
            bool value;
            lock (_gate)
            {
                if (_stopped || _pressurePublished == _pressureDecided)
                {
                    _pressurePublishing = false;
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
                    _pressurePublishing = false;
                }

                End(ex, fromSource: false);
                return;
            }
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        _ring.AssertInvariants();
        Debug.Assert(!_readerWaiting || _ring.Count == 0, "a reader waits while items are buffered");
        Debug.Assert(!_windowOpen || _hasPending, "an open window without a pending sample");
        Debug.Assert(!_readerWaiting || !_hasPending || _windowOpen, "a reader waits while a deliverable sample is pending");
    }
}
