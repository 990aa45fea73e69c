using System.Collections.Concurrent;
using System.Reactive.Subjects;

namespace Rx.Backpressure.Samples.LiveFeed;

/// <summary>
/// A live feed pushed far faster than a slow HTTP client can read: a producer thread publishes numbered ticks to a
/// <see cref="Subject{T}"/> at full speed for as long as anyone listens.
/// </summary>
public sealed class LiveFeed : IDisposable
{
    private readonly Subject<long> _ticks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _producer;

    public LiveFeed()
    {
        _producer = new Thread(Produce) { IsBackground = true, Name = "live feed" };
        _producer.Start();
    }

    /// <summary>Gets the ticks; a hot source that cannot be paused.</summary>
    public IObservable<long> Ticks => _ticks;

    /// <summary>Gets the counters of every stream served, by stream id.</summary>
    public ConcurrentDictionary<int, StreamStats> Streams { get; } = new();

    public void Dispose()
    {
        _stop.Cancel();
        _producer.Join();
        _stop.Dispose();
        _ticks.Dispose();
    }

    private void Produce()
    {
        long n = 0;
        while (!_stop.IsCancellationRequested)
        {
            if (_ticks.HasObservers)
            {
                _ticks.OnNext(n++);
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }
}
