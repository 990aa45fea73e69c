using System;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure.Core;

namespace Rx.Backpressure;

/// <summary>
/// A ready-made pressure observer for a cooperative producer: pass it as ThrottleOnPressure's
/// <c>pressure</c>, and have the producer call <see cref="WaitAsync"/> (or <see cref="Wait"/> on a dedicated
/// thread) before pushing, so it pauses while pressure is on.
/// </summary>
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
    /// <summary>Guards <see cref="_isPressured"/> and <see cref="_released"/>.</summary>
    private readonly Lock _gate = new();

    /// <summary>Whether waiters resume on the thread that turns pressure off (virtual time) instead of the thread pool.</summary>
    private readonly bool _synchronousContinuations;

    /// <summary>Whether pressure is on, as published in order through <see cref="OnNext"/>.</summary>
    private bool _isPressured;

    /// <summary>
    /// The latest transition the operator decided, set the moment it is decided. Publication can lag behind it when
    /// another thread is publishing; waiting on either keeps the producer that caused "on" from pushing past it.
    /// </summary>
    private bool _decidedOn;

    /// <summary>Completed when pressure turns off; null while it is off.</summary>
    private TaskCompletionSource? _released;

    /// <summary>Initializes a new instance of the <see cref="PressureGate"/> class; waiters resume on the thread pool.</summary>
    public PressureGate()
        : this(synchronousContinuations: false)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PressureGate"/> class.</summary>
    /// <param name="synchronousContinuations">
    /// True to resume waiters synchronously on the thread that turns pressure off (use under a virtual-time
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
                return _isPressured || Volatile.Read(ref _decidedOn);
            }
        }
    }

    /// <summary>Returns a task that completes when pressure is off (at once if it is off now).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the producer may push again.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        Task released;
        lock (_gate)
        {
            if (!_isPressured && !Volatile.Read(ref _decidedOn))
            {
                return default;
            }

            _released ??= NewRelease();
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

    /// <summary>Records a pressure transition.</summary>
    /// <param name="value">True when pressure turns on, false when it turns off.</param>
    public void OnNext(bool value)
    {
        TaskCompletionSource? release = null;
        lock (_gate)
        {
            if (value == _isPressured)
            {
                return;
            }

            _isPressured = value;
            if (value)
            {
                _released ??= NewRelease();
            }
            else
            {
                release = _released;
                _released = null;
            }
        }

        release?.TrySetResult();
    }

    /// <summary>Opens the gate (pressure off, decided or published): a finished pressure source must not leave the producer waiting.</summary>
    /// <param name="error">Ignored.</param>
    public void OnError(Exception error) => OnCompleted();

    /// <summary>Opens the gate (pressure off, decided or published): a finished pressure source must not leave the producer waiting.</summary>
    public void OnCompleted()
    {
        TaskCompletionSource? release;
        lock (_gate)
        {
            _isPressured = false;
            Volatile.Write(ref _decidedOn, false);
            release = _released;
            _released = null;
        }

        release?.TrySetResult();
    }

    /// <inheritdoc/>
    void IPressureDecision.PressureDecided(bool on) => Volatile.Write(ref _decidedOn, on);

    /// <inheritdoc/>
    void IPressureDecision.ConsumerStopped() => OnCompleted();

    private TaskCompletionSource NewRelease() =>
        new(_synchronousContinuations ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
}
