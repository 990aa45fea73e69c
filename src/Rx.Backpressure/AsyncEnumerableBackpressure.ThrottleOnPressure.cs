using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Interactive;

namespace Rx.Backpressure;

/// <content>ThrottleOnPressure for pull sources.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Reads a pull source ahead of the consumer in batches: until <paramref name="highWatermark"/> items are
    /// buffered, then not at all until the consumer has drained the buffer to <paramref name="lowWatermark"/>.
    /// Lossless.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The pull source.</param>
    /// <param name="highWatermark">The buffered count at which reading stops (pressure on), at least 1.</param>
    /// <param name="lowWatermark">The buffered count at which reading resumes (pressure off), at least 0 and below <paramref name="highWatermark"/>.</param>
    /// <param name="pressure">Receives the transitions (true: on; false: off), synchronously; never completed or failed by the operator.</param>
    /// <param name="onDropped">Called once for every item still buffered when the consumer stops.</param>
    /// <param name="scheduler">
    /// A virtual-time scheduler (<c>TestScheduler</c>, <c>HistoricalScheduler</c>) runs the pump and resumes the consumer
    /// synchronously inside its actions; any other scheduler, or null, leaves both on the thread pool.
    /// </param>
    /// <param name="counters">Optional counters that this operator's enumerations add to.</param>
    /// <param name="name">
    /// Optional name of the pipeline, the <c>rx_backpressure.pipeline</c> tag of the <c>Rx.Backpressure</c> metrics
    /// (see <see cref="BackpressureMetrics"/>).
    /// </param>
    /// <returns>An async sequence of the source's items, in order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> The source's <c>MoveNextAsync</c> is not called while pressure is on. Only transitions
    /// are published, never duplicates; nothing is published after the consumer stopped.</para>
    /// <para><b>Dropped items.</b> None while the consumer reads; items still buffered when it stops go to
    /// <paramref name="onDropped"/> exactly once.</para>
    /// <para><b>Errors and completion.</b> The source's end and its exceptions reach the consumer after the buffered
    /// items, as the same instance. An exception from <paramref name="onDropped"/> or <paramref name="pressure"/>
    /// fails the sequence like a source error.</para>
    /// <para><b>Scheduler and cancellation.</b> With a virtual-time scheduler, the paused pump resumes synchronously inside the
    /// consumer's <c>MoveNextAsync</c> that drains to the low watermark. Cancelling or disposing the enumerator
    /// cancels the source at once; a pending <c>MoveNextAsync</c> throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A watermark is out of range or out of order.</exception>
    public static IAsyncEnumerable<T> ThrottleOnPressure<T>(
        this IAsyncEnumerable<T> source,
        int highWatermark,
        int lowWatermark,
        IObserver<bool>? pressure = null,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        Check.Watermarks(highWatermark, lowWatermark);

        return new PumpOperator<T>(source, BufferPolicy<T>.ThrottleOnPressure(highWatermark, lowWatermark, pressure, capacity: null, BufferOverflow.Wait, onDropped, scheduler, counters, name));
    }
}
