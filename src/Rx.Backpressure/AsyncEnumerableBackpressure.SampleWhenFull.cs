using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Interactive;

namespace Rx.Backpressure;

/// <content>SampleWhenFull for pull sources.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Reads a live pull source as fast as it yields and, while the buffer is full, keeps a representative sample:
    /// the latest item (no <paramref name="period"/>), or one item per <paramref name="period"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The pull source, treated as live.</param>
    /// <param name="capacity">The exact number of items the buffer holds, at least 0 (0: the pending sample is the only storage).</param>
    /// <param name="period">Null for latest-wins; otherwise the length of the sampling window opened by the first item that finds the buffer full.</param>
    /// <param name="onDropped">Called once for every item that is not delivered, outside the buffer's lock.</param>
    /// <param name="scheduler">
    /// Runs the window timers (null: Rx's default scheduler). A virtual-time scheduler (<c>TestScheduler</c>,
    /// <c>HistoricalScheduler</c>) also runs the pump and resumes the consumer synchronously inside its actions; any
    /// other scheduler only runs the timers, and the pump and the consumer stay on the thread pool.
    /// </param>
    /// <param name="counters">Optional counters that this operator's enumerations add to.</param>
    /// <param name="name">
    /// Optional name of the pipeline, the <c>rx_backpressure.pipeline</c> tag of the <c>Rx.Backpressure</c> metrics
    /// (see <see cref="BackpressureMetrics"/>).
    /// </param>
    /// <returns>An async sequence of the buffered items and samples, in source order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> None: the source is never paused. At most <paramref name="capacity"/> items plus one
    /// pending sample are held.</para>
    /// <para><b>Dropped items.</b> A pending sample replaced by a newer item; with a period, the oldest buffered item
    /// evicted when a window closes on a still-full buffer; items held when the consumer stops. Each goes to
    /// <paramref name="onDropped"/> exactly once.</para>
    /// <para><b>Errors and completion.</b> On the source's end the pending sample is delivered right after the
    /// buffered items, without waiting for its window. Errors are thrown as the same instance after it.</para>
    /// <para><b>Scheduler and cancellation.</b> Window timers run on <paramref name="scheduler"/>; while a surge
    /// lasts they chain (the next window opens as one closes with a sample), so the consumer receives one item per
    /// period. A scheduler that throws from <c>Schedule</c> ends the sequence with that exception after the held
    /// items. Cancelling or disposing the enumerator cancels the source and any timer at once; a pending <c>MoveNextAsync</c> throws
    /// <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="capacity"/> is negative, or <paramref name="period"/> is not positive or longer than a real
    /// scheduler's timers accept (about 49.7 days; a virtual-time scheduler accepts any).
    /// </exception>
    public static IAsyncEnumerable<T> SampleWhenFull<T>(
        this IAsyncEnumerable<T> source,
        int capacity,
        TimeSpan? period = null,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Check.Period(period, scheduler, nameof(period));

        return new PumpOperator<T>(source, BufferPolicy<T>.SampleWhenFull(capacity, period, onDropped, scheduler, counters, name));
    }
}
