using System;
using System.Reactive.Concurrency;

namespace Rx.Backpressure.Core;

/// <summary>
/// Everything an operator chose at construction, after validation: the buffer's capacity, what happens
/// when it is full, sampling, watermarks and callbacks. One immutable instance per operator call, shared by
/// all its enumerations.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class BufferPolicy<T>
{
    /// <summary>Gets the exact number of buffer slots (0 allowed for DropWhenFull and SampleWhenFull).</summary>
    public required int Capacity { get; init; }

    /// <summary>Gets what happens to an arrival at a full buffer when not sampling.</summary>
    public BufferOverflow Overflow { get; init; } = BufferOverflow.Error;

    /// <summary>Gets the sampling mode (SampleWhenFull).</summary>
    public SampleMode Sampling { get; init; }

    /// <summary>Gets the sampling period when <see cref="Sampling"/> is <see cref="SampleMode.Periodic"/>.</summary>
    public TimeSpan Period { get; init; }

    /// <summary>Gets the high watermark, or 0 when the operator does not signal pressure.</summary>
    public int HighWatermark { get; init; }

    /// <summary>Gets the low watermark.</summary>
    public int LowWatermark { get; init; }

    /// <summary>
    /// Gets a value indicating whether the pump (pull shape) stops reading the source while there is no room
    /// (<see cref="BufferOverflow.Wait"/>) or while pressure is on (ThrottleOnPressure).
    /// </summary>
    public bool PausesSource { get; init; }

    /// <summary>Gets the callback for every item that is not delivered.</summary>
    public Action<T>? OnDropped { get; init; }

    /// <summary>Gets the observer of pressure transitions.</summary>
    public IObserver<bool>? Pressure { get; init; }

    /// <summary>Gets the scheduler for timers, the pump and consumer resumption; null for the defaults.</summary>
    public IScheduler? Scheduler { get; init; }

    /// <summary>Gets the shared counters, if the caller asked for them.</summary>
    public BackpressureCounters? Counters { get; init; }

    /// <summary>Gets the name of the operator, for messages.</summary>
    public required string OperatorName { get; init; }
}
