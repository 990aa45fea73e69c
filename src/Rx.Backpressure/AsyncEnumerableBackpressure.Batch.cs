using System;
using System.Collections.Generic;
using Rx.Backpressure.Interactive;

namespace Rx.Backpressure;

/// <content>Batch: consume what has accumulated in one go.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Groups a sequence into batches of 1 to <paramref name="maxSize"/> items for a consumer that writes in bulk (a
    /// database, a network send): the first item of a batch is awaited, the rest are the items available at once.
    /// A batch is never held back to fill up.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The sequence; typically one of this library's operators.</param>
    /// <param name="maxSize">The most items in a batch, at least 1.</param>
    /// <returns>The batches, in order; each is a new list the consumer may keep.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> Over this library's operators each batch is taken under one acquisition of the buffer's
    /// lock, with no per-item hand-off, and no read is left pending behind a batch: while the consumer processes a
    /// batch it is not waiting, so arrivals are buffered or dropped by the operator's policy. Over any other sequence,
    /// items are taken while <c>MoveNextAsync</c> completes synchronously; a call that does not complete at once
    /// starts the next batch.</para>
    /// <para><b>Dropped items.</b> None: every item of the source is in exactly one batch.</para>
    /// <para><b>Errors and completion.</b> The end and an error come after the items taken before them (an error as
    /// the same instance).</para>
    /// <para><b>Scheduler and cancellation.</b> The consumer's token flows to the source. Virtual time stays exact over
    /// this library's operators.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is below 1.</exception>
    public static IAsyncEnumerable<IReadOnlyList<T>> Batch<T>(this IAsyncEnumerable<T> source, int maxSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSize, 1);
        return new BatchOperator<T>(source, maxSize);
    }
}
