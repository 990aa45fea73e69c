using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// A pull consumer in virtual time: pulls, records each item at the tick it arrives, spends the item's cost in
/// virtual ticks, pulls again; records the end; cancels and disposes when told to stop.
/// </summary>
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

    /// <summary>Whether the run has ended (the enumerator is disposed).</summary>
    private bool _finished;

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

    /// <summary>Starts pulling.</summary>
    /// <param name="sequence">The sequence under test.</param>
    public void Start(IAsyncEnumerable<T> sequence) => Run = RunAsync(sequence);

    /// <summary>Cancels the enumerator and stops processing; the enumerator is then disposed.</summary>
    public void Stop()
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

    private async Task RunAsync(IAsyncEnumerable<T> sequence)
    {
        IAsyncEnumerator<T> enumerator = sequence.GetAsyncEnumerator(_cancellation.Token);
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
                    _observer.OnError(ex);
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
                    _delayTimer = _scheduler.Schedule(delay, TimeSpan.FromTicks(cost), static (_, d) =>
                    {
                        d.TrySetResult();
                        return System.Reactive.Disposables.Disposable.Empty;
                    });
                    await delay.Task.ConfigureAwait(false);
                    _delay = null;
                    _delayTimer = null;
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
