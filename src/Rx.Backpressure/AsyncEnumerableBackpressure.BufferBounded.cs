using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Interactive;

namespace Rx.Backpressure;

/// <content>BufferBounded for pull sources.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Reads a pull source ahead of the consumer into a buffer of <paramref name="capacity"/> items; when it is
    /// full, <paramref name="overflow"/> decides. By default (<see cref="BufferOverflow.Wait"/>) the source is read at
    /// the consumer's pace, at most <paramref name="capacity"/> items ahead, losslessly.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The pull source.</param>
    /// <param name="capacity">The exact number of items the buffer holds, at least 1.</param>
    /// <param name="overflow">What happens when the buffer is full; <see cref="BufferOverflow.Wait"/> pauses the source.</param>
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
    /// <returns>An async sequence of the source's items, in order.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> With <see cref="BufferOverflow.Wait"/> the pump does not call the source's
    /// <c>MoveNextAsync</c> while the buffer is full, and resumes when the consumer frees a slot. With any other
    /// policy the source is read as fast as it yields.</para>
    /// <para><b>Dropped items.</b> With a drop policy, the victim it names; with <see cref="BufferOverflow.Error"/>,
    /// the overflowing item; and items still buffered when the consumer stops. Each goes to
    /// <paramref name="onDropped"/> exactly once.</para>
    /// <para><b>Errors and completion.</b> The source's end and its exceptions reach the consumer after the buffered
    /// items, as the same instance; the source enumerator is disposed first. <see cref="BufferOverflow.Error"/> stops
    /// the source at the moment of overflow and throws <see cref="BufferOverflowException"/> after the buffered items.
    /// An exception from <paramref name="onDropped"/> fails the sequence the same way.</para>
    /// <para><b>Scheduler and cancellation.</b> Cancelling or disposing the enumerator cancels the source enumerator's
    /// token at once; <c>DisposeAsync</c> returns when the pump has ended and the source enumerator is disposed. A
    /// pending <c>MoveNextAsync</c> throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="overflow"/> is not a defined value.</exception>
    public static IAsyncEnumerable<T> BufferBounded<T>(
        this IAsyncEnumerable<T> source,
        int capacity,
        BufferOverflow overflow = BufferOverflow.Wait,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Check.Overflow(overflow, pushSource: false, nameof(overflow));

        return new PumpOperator<T>(source, BufferPolicy<T>.BufferBounded(capacity, overflow, onDropped, scheduler, counters, name));
    }
}
