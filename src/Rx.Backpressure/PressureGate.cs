using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure.Core;

namespace Rx.Backpressure;

/// <summary>
/// A ready-made pressure observer for a cooperative producer: pass it as ThrottleOnPressure's
/// <c>pressure</c>, and have the producer call <see cref="WaitAsync"/> (or <see cref="Wait"/> on a dedicated
/// thread) before pushing, so it pauses while pressure is on.
/// </summary>
/// <remarks>
/// <para>The gate follows each enumeration's pressure the moment the operator decides a transition, not when the
/// transition is published, so a decision can never be lost between the two: the producer that causes "on" is
/// stopped before its push returns, and the gate opens when pressure turns off <i>and</i> whenever the enumeration
/// ends for any reason (completion, error, dispose, cancellation).</para>
/// <para>One gate may serve several enumerations (a fan-out paced by its slowest consumer): it is shut while any
/// of them is under pressure. It can also be driven by hand through <see cref="OnNext"/>; pressure published that
/// way counts as one more source of pressure, cleared by <see cref="OnCompleted"/> or <see cref="OnError"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// var gate = new PressureGate();
/// var items = ticks.ThrottleOnPressure(highWatermark: 100, lowWatermark: 20, pressure: gate);
/// // producer loop:
/// await gate.WaitAsync(token);
/// subject.OnNext(next);
/// </code>
/// </example>
public sealed class PressureGate : IObserver<bool>, IPressureDecision
{
    /// <summary>Guards every mutable field below.</summary>
    private readonly Lock _gate = new();

    /// <summary>Whether waiters resume on the thread that opens the gate (virtual time) instead of the thread pool.</summary>
    private readonly bool _synchronousContinuations;

    /// <summary>How many enumerations have decided "on" and not yet "off" (nor ended).</summary>
    private int _pressuredEnumerations;

    /// <summary>Whether pressure was published "on" through <see cref="OnNext"/> by anything other than this library's operators.</summary>
    private bool _publishedOn;

    /// <summary>Completed when the gate opens; created by the first waiter while it is shut, null otherwise.</summary>
    private TaskCompletionSource? _released;

    /// <summary>Initializes a new instance of the <see cref="PressureGate"/> class; waiters resume on the thread pool.</summary>
    public PressureGate()
        : this(synchronousContinuations: false)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PressureGate"/> class.</summary>
    /// <param name="synchronousContinuations">
    /// True to resume waiters synchronously on the thread that opens the gate (use under a virtual-time
    /// scheduler); false to resume them on the thread pool, so the consumer never runs the producer's loop.
    /// </param>
    public PressureGate(bool synchronousContinuations)
    {
        _synchronousContinuations = synchronousContinuations;
    }

    /// <summary>Gets a value indicating whether pressure is on (the producer should wait).</summary>
    public bool IsPressured
    {
        get
        {
            lock (_gate)
            {
                return IsShutLocked;
            }
        }
    }

    /// <summary>Gets a value indicating whether any source of pressure is on. Read under the gate.</summary>
    private bool IsShutLocked => _pressuredEnumerations > 0 || _publishedOn;

    /// <summary>Returns a task that completes when pressure is off (at once if it is off now).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the producer may push again.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        Task released;
        lock (_gate)
        {
            if (!IsShutLocked)
            {
                return default;
            }

            _released ??= new TaskCompletionSource(_synchronousContinuations ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
            released = _released.Task;
        }

        return new ValueTask(cancellationToken.CanBeCanceled ? released.WaitAsync(cancellationToken) : released);
    }

    /// <summary>Blocks the calling thread while pressure is on. For producers on a dedicated thread.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public void Wait(CancellationToken cancellationToken = default)
    {
        ValueTask wait = WaitAsync(cancellationToken);
        if (!wait.IsCompletedSuccessfully)
        {
            wait.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Records pressure published by hand (this library's operators tell the gate directly and do not call this).
    /// </summary>
    /// <param name="value">True when pressure turns on, false when it turns off.</param>
    public void OnNext(bool value)
    {
        TaskCompletionSource? release;
        lock (_gate)
        {
            _publishedOn = value;
            release = TakeReleaseIfOpenLocked();
        }

        release?.TrySetResult();
    }

    /// <summary>Clears pressure published by hand: a finished pressure source must not leave the producer waiting.</summary>
    /// <param name="error">Ignored.</param>
    public void OnError(Exception error) => OnNext(false);

    /// <summary>Clears pressure published by hand: a finished pressure source must not leave the producer waiting.</summary>
    public void OnCompleted() => OnNext(false);

    /// <inheritdoc/>
    TaskCompletionSource? IPressureDecision.PressureDecided(bool on)
    {
        lock (_gate)
        {
            _pressuredEnumerations += on ? 1 : -1;
            Debug.Assert(_pressuredEnumerations >= 0, "more 'off' decisions than 'on' ones");
            return on ? null : TakeReleaseIfOpenLocked();
        }
    }

    /// <summary>Takes the waiters' release if the gate is open now. Call under the gate.</summary>
    private TaskCompletionSource? TakeReleaseIfOpenLocked()
    {
        if (IsShutLocked)
        {
            return null;
        }

        TaskCompletionSource? release = _released;
        _released = null;
        return release;
    }
}
