using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Core;
using Rx.Backpressure.Interactive;

namespace Rx.Backpressure;

/// <content>LatestByKey for pull sources.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Reads a pull source ahead of the consumer into a coalescing buffer: at most one value per key (the latest),
    /// keys in order of their first arrival. The source is read live, as fast as it yields, unless
    /// <paramref name="overflow"/> is <see cref="BufferOverflow.Wait"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TKey">The key type; <c>null</c> is a valid key.</typeparam>
    /// <param name="source">The pull source.</param>
    /// <param name="keySelector">Extracts an item's key; called once per arrival.</param>
    /// <param name="capacity">The number of keys the buffer holds, at least 1.</param>
    /// <param name="overflow">
    /// What happens to an arrival with a new key when <paramref name="capacity"/> keys are held:
    /// <see cref="BufferOverflow.DropOldest"/> (default) evicts the oldest key's value, <see cref="BufferOverflow.DropNewest"/>
    /// the newest key's, <see cref="BufferOverflow.DropIncoming"/> discards the arrival, <see cref="BufferOverflow.Error"/>
    /// fails the sequence, <see cref="BufferOverflow.Wait"/> stops reading the source while <paramref name="capacity"/>
    /// keys are held.
    /// </param>
    /// <param name="onDropped">Called once for every item that is not delivered (replaced values included), outside the buffer's lock.</param>
    /// <param name="comparer">Compares keys; null for <see cref="EqualityComparer{T}.Default"/>.</param>
    /// <param name="scheduler">
    /// A virtual-time scheduler (<c>TestScheduler</c>, <c>HistoricalScheduler</c>) runs the pump and resumes the consumer
    /// synchronously inside its actions; any other scheduler, or null, leaves both on the thread pool.
    /// </param>
    /// <param name="counters">Optional counters that this operator's enumerations add to.</param>
    /// <param name="name">
    /// Optional name of the pipeline, the <c>rx_backpressure.pipeline</c> tag of the <c>Rx.Backpressure</c> metrics
    /// (see <see cref="BackpressureMetrics"/>).
    /// </param>
    /// <returns>An async sequence of the latest value of each key, keys in order of first arrival.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> With <see cref="BufferOverflow.Wait"/> the pump does not call the source's
    /// <c>MoveNextAsync</c> while <paramref name="capacity"/> keys are held. With any other policy the source is read
    /// as fast as it yields, and an arrival whose key is held replaces that value in place.</para>
    /// <para><b>Dropped items.</b> Replaced values (reason <see cref="DropReason.Replaced"/>), the victim of
    /// <paramref name="overflow"/>, and values held when the consumer stops. Each goes to <paramref name="onDropped"/>
    /// exactly once.</para>
    /// <para><b>Errors and completion.</b> The source's end and its exceptions reach the consumer after the held values,
    /// as the same instance. An exception from <paramref name="onDropped"/>, <paramref name="keySelector"/> or
    /// <paramref name="comparer"/> fails the sequence the same way. The key selector and the comparer run under the
    /// buffer's lock, like a dictionary's: keep them quick and pure.</para>
    /// <para><b>Scheduler and cancellation.</b> Cancelling or disposing the enumerator cancels the source enumerator's
    /// token at once; a pending <c>MoveNextAsync</c> throws <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="keySelector"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="overflow"/> is not a defined value.</exception>
    public static IAsyncEnumerable<T> LatestByKey<T, TKey>(
        this IAsyncEnumerable<T> source,
        Func<T, TKey> keySelector,
        int capacity,
        BufferOverflow overflow = BufferOverflow.DropOldest,
        Action<T>? onDropped = null,
        IEqualityComparer<TKey>? comparer = null,
        IScheduler? scheduler = null,
        BackpressureCounters? counters = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(keySelector);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Check.Overflow(overflow, pushSource: false, nameof(overflow));

        return new PumpOperator<T>(
            source,
            BufferPolicy<T>.LatestByKey(keySelector, capacity, overflow, onDropped, comparer ?? EqualityComparer<TKey>.Default, scheduler, counters, name));
    }
}
