using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Interactive;

namespace Rx.Backpressure;

/// <content>DropWhenFull for pull sources.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Reads a live pull source as fast as it yields and sheds load: an item that finds
    /// <paramref name="capacity"/> items buffered is discarded and reported.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The pull source, treated as live.</param>
    /// <param name="capacity">The exact number of items the buffer holds, at least 0 (0: only hand off to a waiting consumer).</param>
    /// <param name="onDropped">Called once for every item that is not delivered, outside the buffer's lock.</param>
    /// <param name="scheduler">
    /// A virtual-time scheduler (<c>TestScheduler</c>, <c>HistoricalScheduler</c>) runs the pump and resumes the consumer
    /// synchronously inside its actions; any other scheduler, or null, leaves both on the thread pool.
    /// </param>
    /// <param name="counters">Optional counters that this operator's enumerations add to.</param>
    /// <param name="name">
    /// Optional name of the pipeline, the <c>rx_backpressure.pipeline</c> tag of the <c>Rx.Backpressure</c> metrics
    /// (see <see cref="BackpressureMetrics"/>).
    /// </param>
    /// <returns>An async sequence of the items that found room, in order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> None: the source is never paused.</para>
    /// <para><b>Dropped items.</b> Items that find the buffer full, and items still buffered when the consumer stops.
    /// Each goes to <paramref name="onDropped"/> exactly once.</para>
    /// <para><b>Errors and completion.</b> The source's end and its exceptions reach the consumer after the buffered
    /// items, as the same instance. An exception from <paramref name="onDropped"/> fails the sequence the same way.</para>
    /// <para><b>Scheduler and cancellation.</b> Cancelling or disposing the enumerator cancels the source enumerator's
    /// token at once; <c>DisposeAsync</c> returns when the pump has ended. A pending <c>MoveNextAsync</c> throws
    /// <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public static IAsyncEnumerable<T> DropWhenFull<T>(
        this IAsyncEnumerable<T> source,
        int capacity,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);

        return new PumpOperator<T>(source, BufferPolicy<T>.DropWhenFull(capacity, onDropped, scheduler, counters, name));
    }
}
