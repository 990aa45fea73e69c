using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Reactive;

/// <summary>
/// The bounded ObserveOn: an async sequence delivered to an observer by actions on a scheduler, requesting the next
/// item only after the observer's <c>OnNext</c> for the previous one returned — at most one item in flight beyond the
/// upstream operator's buffer, and at most one scheduled action of ours in the scheduler's queue.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ObserveOnObservable<T> : IObservable<T>
{
    /// <summary>The sequence, enumerated once per subscription.</summary>
    private readonly IAsyncEnumerable<T> _source;

    /// <summary>Where the observer is called.</summary>
    private readonly IScheduler _scheduler;

    /// <summary>Initializes a new instance of the <see cref="ObserveOnObservable{T}"/> class.</summary>
    /// <param name="source">The sequence.</param>
    /// <param name="scheduler">Where the observer is called.</param>
    public ObserveOnObservable(IAsyncEnumerable<T> source, IScheduler scheduler)
    {
        _source = source;
        _scheduler = scheduler;
    }

    /// <inheritdoc/>
    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var sink = new Sink(observer, _scheduler);
        sink.Start(_source);
        return sink;
    }

    /// <summary>One subscription: the enumerator, the drain loop and the disposal.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "Each ValueTask is kept in one field or local and consumed exactly once: by its continuation or, when already complete, synchronously.")]
    private sealed class Sink : IDisposable, IThreadPoolWorkItem
    {
        /// <summary>The subscriber.</summary>
        private readonly IObserver<T> _observer;

        /// <summary>Where the observer is called.</summary>
        private readonly IScheduler _scheduler;

        /// <summary>
        /// Whether the scheduler keeps virtual time: then an item that becomes available inside one of its actions is
        /// delivered right there, at that tick, instead of in an action scheduled for "now" (which would run a tick later).
        /// </summary>
        private readonly bool _inline;

        /// <summary>
        /// Whether the scheduler is one of Rx's thread-pool schedulers: then the drain is queued to the thread pool as
        /// this sink itself, a reusable work item, instead of through <c>Schedule</c>, which allocates per call.
        /// </summary>
        private readonly bool _onThreadPool;

        /// <summary>
        /// The subscriber's execution context (its <c>AsyncLocal</c> values, <c>Activity.Current</c>), in which every
        /// drain is scheduled or run, as behind Ix's <c>ToObservable</c> and Rx's <c>ObserveOn</c>; null if its flow
        /// was suppressed.
        /// </summary>
        private readonly ExecutionContext? _context = ExecutionContext.Capture();

        /// <summary>Cancels the enumeration when the subscription is disposed.</summary>
        private readonly CancellationTokenSource _cancellation = new();

        /// <summary>The continuation of a pending <c>MoveNextAsync</c>, allocated once.</summary>
        private readonly Action _onMoved;

        /// <summary>The enumerator; null until started or if the sequence could not start.</summary>
        private IAsyncEnumerator<T>? _enumerator;

        /// <summary>The last <c>MoveNextAsync</c>, consumed exactly once by <see cref="Drain"/>.</summary>
        private ValueTask<bool> _pending;

        /// <summary>1 once the subscription is disposed: nothing more reaches the observer.</summary>
        private int _disposed;

        /// <summary>1 once the enumerator's disposal has begun (it happens once).</summary>
        private int _enumeratorDisposed;

        /// <summary>Initializes a new instance of the <see cref="Sink"/> class.</summary>
        /// <param name="observer">The subscriber.</param>
        /// <param name="scheduler">Where the observer is called.</param>
        public Sink(IObserver<T> observer, IScheduler scheduler)
        {
            _observer = observer;
            _scheduler = scheduler;
            _inline = Schedulers.IsVirtualTime(scheduler);
            _onThreadPool = Schedulers.IsThreadPool(scheduler);
            _onMoved = OnMoved;
        }

        private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        /// <summary>
        /// The queued drain (thread-pool schedulers only), run in the subscriber's execution context. What escapes it is
        /// rethrown in an action on the scheduler itself, so it meets that scheduler's own handling.
        /// </summary>
        void IThreadPoolWorkItem.Execute()
        {
            try
            {
                RunInContext(static self => ((Sink)self!).Drain());
            }
            catch (Exception ex)
            {
                RethrowOnScheduler(ex);
            }
        }

        /// <summary>Starts the enumeration and asks for the first item.</summary>
        /// <param name="source">The sequence.</param>
        public void Start(IAsyncEnumerable<T> source)
        {
            try
            {
                _enumerator = source.GetAsyncEnumerator(_cancellation.Token);
                _pending = _enumerator.MoveNextAsync();
            }
            catch (Exception ex)
            {
                _pending = ValueTask.FromException<bool>(ex);
            }

            if (_pending.IsCompleted)
            {
                Deliver();
            }
            else
            {
                _pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onMoved);
            }
        }

        /// <summary>Cancels and disposes the enumeration at once; nothing more reaches the observer.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // This library's operators stop at once on cancellation: the subscription or the pump is disposed and what
            // they held goes to onDropped. The enumerator itself is disposed when no MoveNextAsync is in flight.
            _cancellation.Cancel();
        }

        private static Exception? Consume(ValueTask completed)
        {
            try
            {
                completed.GetAwaiter().GetResult();
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }

        /// <summary>A pending <c>MoveNextAsync</c> completed: deliver, on the scheduler unless virtual time allows now.</summary>
        private void OnMoved()
        {
            if (IsDisposed)
            {
                ConsumePendingQuietly();
                DisposeEnumerator();
                return;
            }

            Deliver();
        }

        /// <summary>Runs the drain loop here (virtual time) or in one action on the scheduler.</summary>
        private void Deliver()
        {
            if (_inline)
            {
                Drain();
                return;
            }

            if (_onThreadPool)
            {
                // This sink is the work item: exactly one drain is queued or running at a time.
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }

            try
            {
                // Scheduled from the subscriber's context, so a scheduler that carries contexts carries that one.
                RunInContext(static self => ((Sink)self!)._scheduler.Schedule((Sink)self!, static (_, sink) =>
                {
                    sink.Drain();
                    return Disposable.Empty;
                }));
            }
            catch (Exception ex)
            {
                // The scheduler refused: the observer hears it here rather than never.
                ConsumePendingQuietly();
                DisposeEnumerator();
                Signal(ex);
            }
        }

        /// <summary>Runs <paramref name="action"/> in the subscriber's execution context (here, if it was not captured).</summary>
        /// <param name="action">A static callback, given this sink: nothing is allocated to run it.</param>
        private void RunInContext(ContextCallback action)
        {
            if (_context is null)
            {
                action(this);
                return;
            }

            ExecutionContext.Run(_context, action, this);
        }

        /// <summary>
        /// Delivers the completed <c>MoveNextAsync</c> and every next one that completes at once — never more than it
        /// has taken — then registers for the next pending one. Inside one scheduler action (or inline, virtual time).
        /// </summary>
        private void Drain()
        {
            while (true)
            {
                if (IsDisposed)
                {
                    ConsumePendingQuietly();
                    DisposeEnumerator();
                    return;
                }

                bool hasItem;
                try
                {
                    hasItem = _pending.GetAwaiter().GetResult();
                }
                catch (Exception ex)
                {
                    Finish(ex);
                    return;
                }

                if (!hasItem)
                {
                    Finish(null);
                    return;
                }

                T item = _enumerator!.Current;
                if (IsDisposed)
                {
                    DisposeEnumerator();
                    return;
                }

                try
                {
                    _observer.OnNext(item);
                }
                catch (Exception ex)
                {
                    ObserverFailed(ex);
                    return;
                }

                if (IsDisposed)
                {
                    DisposeEnumerator();
                    return;
                }

                try
                {
                    _pending = _enumerator.MoveNextAsync();
                }
                catch (Exception ex)
                {
                    _pending = ValueTask.FromException<bool>(ex);
                }

                if (!_pending.IsCompleted)
                {
                    _pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onMoved);
                    return;
                }
            }
        }

        /// <summary>The sequence ended: dispose the enumerator first, as an Rx sink disposes its upstream, then signal.</summary>
        private void Finish(Exception? error)
        {
            ValueTask disposing = BeginDisposeEnumerator();
            if (!disposing.IsCompleted)
            {
                _ = FinishLaterAsync(disposing, error);
                return;
            }

            Signal(Faults.EndError(error, Consume(disposing)));
        }

        private async Task FinishLaterAsync(ValueTask disposing, Exception? error)
        {
            Exception? fault = null;
            try
            {
                await disposing.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                fault = ex;
            }

            error = Faults.EndError(error, fault);
            if (_inline)
            {
                Signal(error);
                return;
            }

            try
            {
                _scheduler.Schedule((Sink: this, Error: error), static (_, state) =>
                {
                    state.Sink.Signal(state.Error);
                    return Disposable.Empty;
                });
            }
            catch (Exception ex)
            {
                Signal(error ?? ex);
            }
        }

        /// <summary>Delivers the end to the observer, unless the subscription was disposed.</summary>
        private void Signal(Exception? error)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _cancellation.Dispose();
            if (error is null)
            {
                _observer.OnCompleted();
            }
            else
            {
                _observer.OnError(error);
            }
        }

        /// <summary>The observer's <c>OnNext</c> threw: stop the enumeration, then rethrow on the scheduler, as Rx does.</summary>
        private void ObserverFailed(Exception ex)
        {
            Interlocked.Exchange(ref _disposed, 1);
            _cancellation.Cancel();
            DisposeEnumerator();
            RethrowOnScheduler(ex);
        }

        /// <summary>Rethrows <paramref name="ex"/> in an action on the scheduler: the scheduler decides what it does.</summary>
        private void RethrowOnScheduler(Exception ex)
        {
            ExceptionDispatchInfo captured = ExceptionDispatchInfo.Capture(ex);
            _scheduler.Schedule(captured, static (_, e) =>
            {
                e.Throw();
                return Disposable.Empty;
            });
        }

        /// <summary>Takes the result of a completed <c>MoveNextAsync</c> that will not be delivered (after dispose).</summary>
        private void ConsumePendingQuietly()
        {
            try
            {
                if (_pending.IsCompleted)
                {
                    _pending.GetAwaiter().GetResult();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException || IsDisposed)
            {
                // Cancelled by the dispose, or failed after it: Rx delivers nothing after dispose.
            }
        }

        /// <summary>Disposes the enumerator once, ignoring what it throws (nobody is listening after a dispose).</summary>
        private void DisposeEnumerator()
        {
            ValueTask disposing = BeginDisposeEnumerator();
            if (disposing.IsCompleted)
            {
                _ = Consume(disposing);
            }
            else
            {
                _ = IgnoreAsync(disposing);
            }

            static async Task IgnoreAsync(ValueTask disposing)
            {
                try
                {
                    await disposing.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The subscription is gone: there is no one to tell.
                }
            }
        }

        private ValueTask BeginDisposeEnumerator()
        {
            if (_enumerator is null || Interlocked.Exchange(ref _enumeratorDisposed, 1) != 0)
            {
                return default;
            }

            try
            {
                return _enumerator.DisposeAsync();
            }
            catch (Exception ex)
            {
                return ValueTask.FromException(ex);
            }
        }
    }
}
