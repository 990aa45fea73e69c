using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Reactive;

namespace Rx.Backpressure;

/// <content>SampleWhenFull for push sources.</content>
public static partial class ObservableBackpressure
{
    /// <summary>
    /// Bridges a push source to an async sequence that, while the buffer is full, keeps a representative sample:
    /// the latest arrival (no <paramref name="period"/>), or one arrival per <paramref name="period"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The push source.</param>
    /// <param name="capacity">The exact number of items the buffer holds, at least 0 (0: the pending sample is the only storage).</param>
    /// <param name="period">
    /// Null for latest-wins (the pending sample enters the buffer as soon as a slot frees); otherwise the length of
    /// the sampling window opened by the first arrival that finds the buffer full.
    /// </param>
    /// <param name="onDropped">Called once for every item that is not delivered, outside the buffer's lock.</param>
    /// <param name="scheduler">
    /// Runs the window timers (null: Rx's default scheduler). A virtual-time scheduler (<c>TestScheduler</c>,
    /// <c>HistoricalScheduler</c>) also resumes the consumer synchronously inside its actions; any other scheduler only
    /// runs the timers, and the consumer is resumed on the thread pool, never on the producer's stack.
    /// </param>
    /// <param name="counters">Optional counters that this operator's enumerations add to.</param>
    /// <param name="name">
    /// Optional name of the pipeline, the <c>rx_backpressure.pipeline</c> tag of the <c>Rx.Backpressure</c> metrics
    /// (see <see cref="BackpressureMetrics"/>).
    /// </param>
    /// <returns>An async sequence of the buffered items and samples, in source order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> None is signalled. The operator holds at most <paramref name="capacity"/> items plus
    /// one pending sample.</para>
    /// <para><b>Dropped items.</b> A pending sample replaced by a newer arrival; with a period, the oldest buffered
    /// item evicted when a window closes on a still-full buffer; items held when the consumer stops, and items that
    /// arrive after it stopped. Each goes to <paramref name="onDropped"/> exactly once.</para>
    /// <para><b>Errors and completion.</b> On completion or error the pending sample is delivered right after the
    /// buffered items, before the end, without waiting for its window: the last value is never lost. A source error
    /// is thrown as the same instance; an exception from <paramref name="onDropped"/> fails the sequence the same way.</para>
    /// <para><b>Scheduler and cancellation.</b> Window timers run on <paramref name="scheduler"/>; an arrival at the
    /// tick a window closes is ordered by that scheduler. While a surge lasts the windows chain (the next opens as one
    /// closes with a sample), so the consumer receives one item per period. A scheduler that throws from
    /// <c>Schedule</c> ends the sequence with that exception after the held items, never in the producer's
    /// <c>OnNext</c>. Cancelling or disposing the enumerator disposes the
    /// subscription and any timer at once; a pending <c>MoveNextAsync</c> then throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="capacity"/> is negative, or <paramref name="period"/> is not positive or longer than a real
    /// scheduler's timers accept (about 49.7 days; a virtual-time scheduler accepts any).
    /// </exception>
    public static IAsyncEnumerable<T> SampleWhenFull<T>(
        this IObservable<T> source,
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

        return new ObservableOperator<T>(source, BufferPolicy<T>.SampleWhenFull(capacity, period, onDropped, scheduler, counters, name));
    }
}
