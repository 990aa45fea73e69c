using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Reactive;

namespace Rx.Backpressure;

/// <content>ThrottleOnPressure for push sources.</content>
public static partial class ObservableBackpressure
{
    /// <summary>
    /// Bridges a push source to an async sequence and tells a cooperative producer to slow down: pressure turns on
    /// when <paramref name="highWatermark"/> items are buffered and off when the consumer has drained the buffer
    /// to <paramref name="lowWatermark"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The push source.</param>
    /// <param name="highWatermark">The buffered count at which pressure turns on, at least 1.</param>
    /// <param name="lowWatermark">The buffered count at which pressure turns off, at least 0 and below <paramref name="highWatermark"/>.</param>
    /// <param name="pressure">
    /// Receives the transitions (true: slow down; false: go on), synchronously at the moment they happen; for
    /// example a <see cref="PressureGate"/> the producer waits on. Never completed or failed by the operator.
    /// </param>
    /// <param name="capacity">The hard bound for a producer that ignores the signal, at least <paramref name="highWatermark"/>; null for twice the high watermark (at most <see cref="int.MaxValue"/>).</param>
    /// <param name="overflow">What happens at the hard bound; <see cref="BufferOverflow.Wait"/> is not allowed for a push source.</param>
    /// <param name="onDropped">Called once for every item that is not delivered, outside the buffer's lock.</param>
    /// <param name="scheduler">
    /// A virtual-time scheduler (<c>TestScheduler</c>, <c>HistoricalScheduler</c>) resumes the consumer synchronously
    /// inside its actions; any other scheduler, or null, resumes it on the thread pool, never on the producer's stack.
    /// </param>
    /// <param name="counters">Optional counters that this operator's enumerations add to.</param>
    /// <param name="name">
    /// Optional name of the pipeline, the <c>rx_backpressure.pipeline</c> tag of the <c>Rx.Backpressure</c> metrics
    /// (see <see cref="BackpressureMetrics"/>).
    /// </param>
    /// <returns>An async sequence of the source's items, in order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> Only transitions are published, never duplicates; nothing is published after the
    /// consumer stopped. A push source keeps pushing unless its producer listens, so the buffer still has a hard
    /// bound, <paramref name="capacity"/>.</para>
    /// <para><b>Dropped items.</b> Only at the hard bound (as <paramref name="overflow"/> says), and items held or
    /// arriving after the consumer stopped. Each goes to <paramref name="onDropped"/> exactly once.</para>
    /// <para><b>Errors and completion.</b> Completion and a source error reach the consumer after the buffered
    /// items. An exception from <paramref name="onDropped"/> or from <paramref name="pressure"/> fails the sequence
    /// like a source error.</para>
    /// <para><b>Scheduler and cancellation.</b> Cancelling or disposing the enumerator disposes the subscription at
    /// once; a pending <c>MoveNextAsync</c> then throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A watermark is out of range or out of order, <paramref name="capacity"/> is below <paramref name="highWatermark"/>,
    /// or <paramref name="overflow"/> is not a defined value.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="overflow"/> is <see cref="BufferOverflow.Wait"/>.</exception>
    public static IAsyncEnumerable<T> ThrottleOnPressure<T>(
        this IObservable<T> source,
        int highWatermark,
        int lowWatermark,
        IObserver<bool>? pressure = null,
        int? capacity = null,
        BufferOverflow overflow = BufferOverflow.Error,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        Check.Watermarks(highWatermark, lowWatermark);
        int bound = capacity ?? (int)Math.Min(2L * highWatermark, int.MaxValue);
        if (bound < highWatermark)
        {
            throw new ArgumentOutOfRangeException(
                nameof(capacity),
                capacity,
                $"The capacity must be at least the high watermark ({highWatermark}).");
        }

        Check.Overflow(overflow, pushSource: true, nameof(overflow));

        return new ObservableOperator<T>(source, BufferPolicy<T>.ThrottleOnPressure(highWatermark, lowWatermark, pressure, bound, overflow, onDropped, scheduler, counters, name));
    }
}
