using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace Rx.Backpressure.Samples.FanOut;

/// <summary>
/// The one hot feed every connection shares: a producer pushes into it at its own pace; each connection subscribes
/// through its own bounded operator, so a slow connection never slows the producer or the others.
/// </summary>
public sealed class Feed : IDisposable
{
    /// <summary>The subject the producer pushes into.</summary>
    private readonly Subject<Tick> _subject = new();

    /// <summary>How many connections are subscribed right now.</summary>
    private int _observers;

    /// <summary>Initializes a new instance of the <see cref="Feed"/> class.</summary>
    public Feed()
    {
        Ticks = Observable.Create<Tick>(observer =>
        {
            // Counted once subscribed: a producer that waits for the count then reaches this connection from its
            // first push (counted before, the first pushes could miss it).
            IDisposable subscription = _subject.Subscribe(observer);
            Interlocked.Increment(ref _observers);
            return System.Reactive.Disposables.Disposable.Create(() =>
            {
                subscription.Dispose();
                Interlocked.Decrement(ref _observers);
            });
        });
    }

    /// <summary>Gets the feed, for the operators.</summary>
    public IObservable<Tick> Ticks { get; }

    /// <summary>Gets how many connections are subscribed now.</summary>
    public int Observers => Volatile.Read(ref _observers);

    /// <summary>Gets how many items have been pushed.</summary>
    public long Produced { get; private set; }

    /// <summary>Pushes the next item to every subscribed connection (the producer's thread).</summary>
    /// <param name="key">The item's key.</param>
    public void Push(int key)
    {
        _subject.OnNext(new Tick(Produced, key, System.Diagnostics.Stopwatch.GetTimestamp()));
        Produced++;
    }

    /// <summary>Ends the feed: every stream delivers what it holds, then completes.</summary>
    public void Complete() => _subject.OnCompleted();

    /// <inheritdoc/>
    public void Dispose() => _subject.Dispose();
}
