using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// A pull consumer in virtual time: pulls, records each item at the tick it arrives, spends the item's cost in
/// virtual ticks, pulls again; records the end; cancels and disposes when told to stop.
/// </summary>
/// <remarks>
/// Its own scheduled actions (start, the end of each processing delay, stop) run with no
/// <see cref="SynchronizationContext"/> current, so its continuations stay inline inside the scheduler's actions
/// however the scheduler is driven (<c>Start</c>, <c>AdvanceTo</c>, <c>AdvanceBy</c>) and whatever context the test
/// framework installs. After every await it checks that it is still inside virtual time (the scheduler is running
/// on this thread); if a continuation escaped (to the thread pool, a captured context, a wall-clock timer), it
/// records an <c>OnError</c> that says so and stops, rather than leaving a silently short result.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The token source is disposed when the run ends; Stop is a no-op after that.")]
internal sealed class VirtualConsumer<T>
{
    /// <summary>The virtual clock.</summary>
    private readonly TestScheduler _scheduler;

    /// <summary>Where items and the end are recorded.</summary>
    private readonly ITestableObserver<T> _observer;

    /// <summary>The virtual processing time of each item.</summary>
    private readonly Func<T, long> _processingTicks;

    /// <summary>Where to record the tick of every pull, if the caller asked.</summary>
    private readonly ICollection<long>? _pulls;

    /// <summary>Cancels the enumerator at the stop tick.</summary>
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>Completed when the current processing delay ends (or the consumer stops).</summary>
    private TaskCompletionSource? _delay;

    /// <summary>The timer that ends the current processing delay.</summary>
    private IDisposable? _delayTimer;

    /// <summary>The thread that ran this consumer's last scheduled action: the thread driving the scheduler.</summary>
    private int _driverThread;

    /// <summary>Whether the run has ended (the enumerator is disposed).</summary>
    private volatile bool _finished;

    /// <summary>Whether the stop tick has come.</summary>
    private bool _stopping;

    /// <summary>Initializes a new instance of the <see cref="VirtualConsumer{T}"/> class.</summary>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="observer">Where to record.</param>
    /// <param name="processingTicks">The virtual processing time of each item.</param>
    /// <param name="pulls">Where to record the tick of every pull, or null.</param>
    public VirtualConsumer(TestScheduler scheduler, ITestableObserver<T> observer, Func<T, long> processingTicks, ICollection<long>? pulls)
    {
        _scheduler = scheduler;
        _observer = observer;
        _processingTicks = processingTicks;
        _pulls = pulls;
    }

    /// <summary>Gets the consumer's run, once started.</summary>
    public Task? Run { get; private set; }

    /// <summary>Gets a value indicating whether the run has ended (its enumerator disposed).</summary>
    public bool IsFinished => _finished;

    /// <summary>Schedules the start at <paramref name="subscribed"/> and the stop at <paramref name="disposed"/>.</summary>
    /// <param name="sequence">Creates (or returns) the sequence under test, at the start tick.</param>
    /// <param name="subscribed">The tick of the first pull.</param>
    /// <param name="disposed">The tick at which the consumer cancels and disposes the enumerator if still running.</param>
    public void Schedule(Func<IAsyncEnumerable<T>> sequence, long subscribed, long disposed)
    {
        _scheduler.ScheduleAbsolute(subscribed, () => InVirtualTime(() => Run = RunAsync(Create(sequence))));
        _scheduler.ScheduleAbsolute(disposed, () => InVirtualTime(Stop));
    }

    /// <summary>Records that the run did not finish inside the scheduler's run, unless it did.</summary>
    /// <param name="message">What happened.</param>
    public void RecordUnfinished(string message)
    {
        if (!_finished)
        {
            _finished = true;
            _observer.OnError(new InvalidOperationException(message));
        }
    }

    /// <summary>Runs one of this consumer's actions with no context current, and remembers the thread driving the scheduler.</summary>
    private void InVirtualTime(Action action)
    {
        _driverThread = Environment.CurrentManagedThreadId;
        using (SynchronizationContextScope.Clear())
        {
            action();
        }
    }

    private IAsyncEnumerator<T>? Create(Func<IAsyncEnumerable<T>> sequence)
    {
        try
        {
            return sequence().GetAsyncEnumerator(_cancellation.Token);
        }
        catch (Exception ex)
        {
            _observer.OnError(ex);
            _finished = true;
            return null;
        }
    }

    /// <summary>Cancels the enumerator and stops processing; the enumerator is then disposed.</summary>
    private void Stop()
    {
        if (_stopping || _finished)
        {
            return;
        }

        _stopping = true;
        _delayTimer?.Dispose();
        _cancellation.Cancel();
        _delay?.TrySetResult();
    }

    /// <summary>
    /// Whether this code runs inside virtual time: the scheduler is running, on this thread. Usually this is the thread
    /// that ran the consumer's last action; a test that drives the scheduler from another thread later (an async test
    /// that awaited in between) is recognised by the scheduler's run on this thread's stack.
    /// </summary>
    private bool IsInsideVirtualTime()
    {
        if (!_scheduler.IsEnabled)
        {
            return false;
        }

        int thread = Environment.CurrentManagedThreadId;
        if (thread == _driverThread)
        {
            return true;
        }

        if (new System.Diagnostics.StackTrace(false).ToString().Contains("VirtualTimeSchedulerBase`2.", StringComparison.Ordinal))
        {
            _driverThread = thread;
            return true;
        }

        return false;
    }

    private void Escaped(string where)
    {
        _observer.OnError(new InvalidOperationException(
            $"A continuation escaped virtual time {where} (tick {_scheduler.Clock}): it resumed outside the TestScheduler's actions " +
            "(on the thread pool, a captured SynchronizationContext, or a wall-clock timer), so the recording would be short. " +
            "Pass the TestScheduler to every operator as its scheduler, and avoid Task.Run, Task.Yield, Task.Delay and awaits without ConfigureAwait(false) in the pipeline."));
        _stopping = true;
        _cancellation.Cancel();
    }

    private async Task RunAsync(IAsyncEnumerator<T>? enumerator)
    {
        if (enumerator is null)
        {
            return;
        }

        try
        {
            while (!_stopping)
            {
                bool hasItem;
                _pulls?.Add(_scheduler.Clock);
                try
                {
                    hasItem = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping)
                {
                    break;
                }
                catch (Exception ex)
                {
                    if (IsInsideVirtualTime())
                    {
                        _observer.OnError(ex);
                    }
                    else
                    {
                        Escaped("while waiting for an item");
                    }

                    break;
                }

                if (!IsInsideVirtualTime())
                {
                    Escaped("while waiting for an item");
                    break;
                }

                if (!hasItem)
                {
                    _observer.OnCompleted();
                    break;
                }

                T item = enumerator.Current;
                _observer.OnNext(item);
                long cost = _processingTicks(item);
                if (cost > 0 && !_stopping)
                {
                    var delay = new TaskCompletionSource();
                    _delay = delay;
                    _delayTimer = _scheduler.Schedule((Consumer: this, Delay: delay), TimeSpan.FromTicks(cost), static (_, state) =>
                    {
                        state.Consumer.InVirtualTime(() => state.Delay.TrySetResult());
                        return Disposable.Empty;
                    });
                    await delay.Task.ConfigureAwait(false);
                    _delay = null;
                    _delayTimer = null;
                    if (!IsInsideVirtualTime())
                    {
                        Escaped("after processing an item");
                        break;
                    }
                }
            }
        }
        finally
        {
            try
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // An exception from DisposeAsync (for example a throwing onDropped reporting left-over items) is recorded.
                _observer.OnError(ex);
            }

            _finished = true;
            _cancellation.Dispose();
        }
    }
}
