using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Reactive;

namespace Rx.Backpressure;

/// <content>DropWhenFull for push sources.</content>
public static partial class ObservableBackpressure
{
    /// <summary>
    /// Bridges a push source to an async sequence, shedding load: an arrival that finds
    /// <paramref name="capacity"/> items buffered is discarded and reported.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The push source.</param>
    /// <param name="capacity">The exact number of items the buffer holds, at least 0 (0: only hand off to a waiting consumer).</param>
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
    /// <returns>An async sequence of the items that found room, in order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> None is signalled. A consumer already waiting receives an arrival directly.</para>
    /// <para><b>Dropped items.</b> Arrivals at a full buffer, items still buffered when the consumer stops, and
    /// items that arrive after it stopped; each goes to <paramref name="onDropped"/> exactly once. The consumer sees
    /// a contiguous run, a gap, then fresh data.</para>
    /// <para><b>Errors and completion.</b> Completion and a source error reach the consumer after the buffered
    /// items; the error is the source's own instance. An exception from <paramref name="onDropped"/> fails the
    /// sequence the same way.</para>
    /// <para><b>Scheduler and cancellation.</b> Cancelling the enumerator's token or disposing it disposes the
    /// subscription at once; a pending <c>MoveNextAsync</c> then throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public static IAsyncEnumerable<T> DropWhenFull<T>(
        this IObservable<T> source,
        int capacity,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);

        return new ObservableOperator<T>(source, BufferPolicy<T>.DropWhenFull(capacity, onDropped, scheduler, counters, name));
    }
}
