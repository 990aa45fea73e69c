using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using Rx.Backpressure.Reactive;

namespace Rx.Backpressure;

/// <content>ObserveOn: back into Rx, bounded.</content>
public static partial class AsyncEnumerableBackpressure
{
    /// <summary>
    /// Delivers an async sequence to Rx observers on <paramref name="scheduler"/>, one item at a time: the bounded
    /// <c>ObserveOn</c>. After any of this library's operators it keeps memory bounded end to end:
    /// <c>ticks.SampleWhenFull(1).ObserveOn(dispatcher).Subscribe(UpdateUi)</c> keeps a UI fresh and never floods its queue.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The sequence; each subscription enumerates it once.</param>
    /// <param name="scheduler">Where the observer is called (a UI dispatcher, an event loop, a <c>TestScheduler</c>).</param>
    /// <returns>An observable that enumerates <paramref name="source"/> for each subscriber.</returns>
    /// <remarks>
    /// <para><b>Pressure.</b> The next item is not requested until the observer's <c>OnNext</c> for the previous one has
    /// returned, so at most one item is in flight beyond the upstream operator's buffer, and at most one action of this
    /// subscription waits in the scheduler's queue. One action may deliver every item already available (a drain loop),
    /// never more than it has taken from the source. Unlike Rx's <c>ObserveOn</c>, nothing queues without bound.</para>
    /// <para><b>Dropped items.</b> None here: what the observer cannot take stays in (or is shed by) the upstream operator.
    /// An item taken but not yet delivered when the subscription is disposed is not delivered (Rx: no notification after
    /// dispose).</para>
    /// <para><b>Errors and completion.</b> Completion and errors follow the items, errors as the same instance; the
    /// enumerator is disposed before the end is signalled. An exception thrown by the observer's <c>OnNext</c> stops the
    /// enumeration and is rethrown on <paramref name="scheduler"/>, as Rx does.</para>
    /// <para><b>Scheduler and cancellation.</b> Subscribing starts the enumeration; disposing the subscription cancels it
    /// at once (the upstream operator then reports what it held to its <c>onDropped</c>) and disposes the enumerator. With
    /// a virtual-time scheduler (<c>TestScheduler</c>) it is exact: an item that becomes available inside one of its
    /// actions reaches a free observer at that same tick, and an observer that spends virtual time delays the next
    /// request by exactly that time.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    public static IObservable<T> ObserveOn<T>(this IAsyncEnumerable<T> source, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(scheduler);
        return new ObserveOnObservable<T>(source, scheduler);
    }
}
