using System;
using System.Collections.Generic;
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
    /// <summary>The scheduler, or null.</summary>
    private readonly IScheduler? _scheduler;

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

    /// <summary>Gets the scheduler: with virtual time it runs everything; a real one only runs the timers; null for the defaults.</summary>
    public IScheduler? Scheduler
    {
        get => _scheduler;
        init
        {
            _scheduler = value;
            IsVirtualTime = Schedulers.IsVirtualTime(value);
        }
    }

    /// <summary>
    /// Gets a value indicating whether <see cref="Scheduler"/> keeps virtual time: then the consumer is resumed
    /// synchronously by whoever delivers an item, and the pump runs inline inside the scheduler's actions. With
    /// any other scheduler (or none) the consumer and the pump resume on the thread pool.
    /// </summary>
    public bool IsVirtualTime { get; private init; }

    /// <summary>Gets the shared counters, if the caller asked for them.</summary>
    public BackpressureCounters? Counters { get; init; }

    /// <summary>Gets the caller's name for the pipeline, for the metrics' pipeline tag; null for none.</summary>
    public string? PipelineName { get; init; }

    /// <summary>Gets the name of the operator, for messages.</summary>
    public required string OperatorName { get; init; }

    /// <summary>Gets a value indicating whether the storage keeps one value per key (LatestByKey).</summary>
    public bool IsKeyed => KeyedStorage is not null;

    /// <summary>Gets the factory of a keyed storage (LatestByKey), or null for a ring.</summary>
    public Func<ItemStorage<T>>? KeyedStorage { get; init; }

    /// <summary>The policy of BufferBounded: a plain buffer; <see cref="BufferOverflow.Wait"/> pauses the pump.</summary>
    /// <param name="capacity">The validated capacity.</param>
    /// <param name="overflow">The validated overflow policy.</param>
    /// <param name="onDropped">The drop callback.</param>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <param name="counters">The counters, or null.</param>
    /// <param name="name">The pipeline's name for metrics, or null.</param>
    /// <returns>The policy.</returns>
    public static BufferPolicy<T> BufferBounded(int capacity, BufferOverflow overflow, Action<T>? onDropped, IScheduler? scheduler, BackpressureCounters? counters, string? name) => new()
    {
        OperatorName = nameof(BufferBounded),
        Capacity = capacity,
        Overflow = overflow,
        PausesSource = overflow == BufferOverflow.Wait,
        OnDropped = onDropped,
        Scheduler = scheduler,
        Counters = counters,
        PipelineName = name,
    };

    /// <summary>The policy of DropWhenFull: the arrival is the victim.</summary>
    /// <param name="capacity">The validated capacity.</param>
    /// <param name="onDropped">The drop callback.</param>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <param name="counters">The counters, or null.</param>
    /// <param name="name">The pipeline's name for metrics, or null.</param>
    /// <returns>The policy.</returns>
    public static BufferPolicy<T> DropWhenFull(int capacity, Action<T>? onDropped, IScheduler? scheduler, BackpressureCounters? counters, string? name) => new()
    {
        OperatorName = nameof(DropWhenFull),
        Capacity = capacity,
        Overflow = BufferOverflow.DropIncoming,
        OnDropped = onDropped,
        Scheduler = scheduler,
        Counters = counters,
        PipelineName = name,
    };

    /// <summary>The policy of SampleWhenFull: latest-wins without a period, windowed with one.</summary>
    /// <param name="capacity">The validated capacity.</param>
    /// <param name="period">The validated period, or null.</param>
    /// <param name="onDropped">The drop callback.</param>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <param name="counters">The counters, or null.</param>
    /// <param name="name">The pipeline's name for metrics, or null.</param>
    /// <returns>The policy.</returns>
    public static BufferPolicy<T> SampleWhenFull(int capacity, TimeSpan? period, Action<T>? onDropped, IScheduler? scheduler, BackpressureCounters? counters, string? name) => new()
    {
        OperatorName = nameof(SampleWhenFull),
        Capacity = capacity,
        Sampling = period is null ? SampleMode.Latest : SampleMode.Periodic,
        Period = period ?? TimeSpan.Zero,
        OnDropped = onDropped,
        Scheduler = scheduler,
        Counters = counters,
        PipelineName = name,
    };

    /// <summary>The policy of LatestByKey: one slot per key in arrival order; a new key at capacity applies the overflow.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="keySelector">Extracts an item's key.</param>
    /// <param name="capacity">The validated capacity, in keys.</param>
    /// <param name="overflow">The validated overflow policy for a new key at capacity.</param>
    /// <param name="onDropped">The drop callback.</param>
    /// <param name="comparer">Compares keys.</param>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <param name="counters">The counters, or null.</param>
    /// <param name="name">The pipeline's name for metrics, or null.</param>
    /// <returns>The policy.</returns>
    public static BufferPolicy<T> LatestByKey<TKey>(
        Func<T, TKey> keySelector,
        int capacity,
        BufferOverflow overflow,
        Action<T>? onDropped,
        IEqualityComparer<TKey> comparer,
        IScheduler? scheduler,
        BackpressureCounters? counters,
        string? name) => new()
    {
        OperatorName = nameof(LatestByKey),
        Capacity = capacity,
        Overflow = overflow,
        PausesSource = overflow == BufferOverflow.Wait,
        KeyedStorage = () => new KeyedStorage<T, TKey>(capacity, keySelector, comparer, usesLane: onDropped is null && counters is null),
        OnDropped = onDropped,
        Scheduler = scheduler,
        Counters = counters,
        PipelineName = name,
    };

    /// <summary>
    /// The policy of ThrottleOnPressure. The pull shape pauses its pump at the high watermark, so its buffer needs
    /// no more room than that; the push shape has a hard bound and an overflow policy for producers that do not listen.
    /// </summary>
    /// <param name="highWatermark">The validated high watermark.</param>
    /// <param name="lowWatermark">The validated low watermark.</param>
    /// <param name="pressure">The pressure observer, or null.</param>
    /// <param name="capacity">The validated hard bound (push), or null (pull: the high watermark, and the pump pauses).</param>
    /// <param name="overflow">The overflow policy at the hard bound (push).</param>
    /// <param name="onDropped">The drop callback.</param>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <param name="counters">The counters, or null.</param>
    /// <param name="name">The pipeline's name for metrics, or null.</param>
    /// <returns>The policy.</returns>
    public static BufferPolicy<T> ThrottleOnPressure(
        int highWatermark,
        int lowWatermark,
        IObserver<bool>? pressure,
        int? capacity,
        BufferOverflow overflow,
        Action<T>? onDropped,
        IScheduler? scheduler,
        BackpressureCounters? counters,
        string? name) => new()
    {
        OperatorName = nameof(ThrottleOnPressure),
        Capacity = capacity ?? highWatermark,
        Overflow = overflow,
        PausesSource = capacity is null,
        HighWatermark = highWatermark,
        LowWatermark = lowWatermark,
        Pressure = pressure,
        OnDropped = onDropped,
        Scheduler = scheduler,
        Counters = counters,
        PipelineName = name,
    };

    /// <summary>Creates the storage of one enumeration's buffer; it allocates no slots until items arrive.</summary>
    /// <returns>A ring, or the keyed storage.</returns>
    public ItemStorage<T> CreateStorage() => KeyedStorage?.Invoke() ?? new RingStorage<T>(Capacity);
}
