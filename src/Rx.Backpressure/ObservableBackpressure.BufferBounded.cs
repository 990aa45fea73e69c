using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Reactive;

namespace Rx.Backpressure;

/// <content>BufferBounded for push sources.</content>
public static partial class ObservableBackpressure
{
    /// <summary>
    /// Bridges a push source to an async sequence through a buffer of <paramref name="capacity"/> items that
    /// absorbs bursts; when it is full, <paramref name="overflow"/> decides.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The push source.</param>
    /// <param name="capacity">The exact number of items the buffer holds, at least 1.</param>
    /// <param name="overflow">What happens to an arrival at a full buffer; <see cref="BufferOverflow.Wait"/> is not allowed for a push source.</param>
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
    /// <para><b>Pressure.</b> None is signalled; a push source cannot be slowed. A consumer already waiting
    /// receives an arrival directly, without it occupying a slot.</para>
    /// <para><b>Dropped items.</b> With <see cref="BufferOverflow.DropOldest"/> the head is evicted, with
    /// <see cref="BufferOverflow.DropNewest"/> the tail, with <see cref="BufferOverflow.DropIncoming"/> the
    /// arrival; with <see cref="BufferOverflow.Error"/> the overflowing item. Items still buffered when the consumer
    /// stops, and items that arrive after it stopped, are dropped too. Each goes to <paramref name="onDropped"/>
    /// exactly once.</para>
    /// <para><b>Errors and completion.</b> Completion and a source error reach the consumer after the buffered
    /// items; the error is the source's own instance. <see cref="BufferOverflow.Error"/> disposes the subscription at
    /// the moment of overflow and throws <see cref="BufferOverflowException"/> after the buffered items. An exception
    /// from <paramref name="onDropped"/> fails the sequence the same way.</para>
    /// <para><b>Scheduler and cancellation.</b> Cancelling the enumerator's token or disposing it disposes the
    /// subscription at once; a pending <c>MoveNextAsync</c> then throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="overflow"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="overflow"/> is <see cref="BufferOverflow.Wait"/>.</exception>
    public static IAsyncEnumerable<T> BufferBounded<T>(
        this IObservable<T> source,
        int capacity,
        BufferOverflow overflow = BufferOverflow.Error,
        Action<T>? onDropped = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Check.Overflow(overflow, pushSource: true, nameof(overflow));

        return new ObservableOperator<T>(source, BufferPolicy<T>.BufferBounded(capacity, overflow, onDropped, scheduler, counters, name));
    }
}
