namespace Rx.Backpressure.Benchmarks;

/// <summary>A source that keeps the observer it is subscribed with, so a benchmark can call the operator's OnNext directly.</summary>
public sealed class CapturingObservable : IObservable<int>
{
    /// <summary>Gets the observer of the last subscription.</summary>
    public IObserver<int>? Observer { get; private set; }

    /// <inheritdoc/>
    public IDisposable Subscribe(IObserver<int> observer)
    {
        Observer = observer;
        return System.Reactive.Disposables.Disposable.Empty;
    }

    /// <summary>Starts a DropWhenFull(capacity) enumeration over a new source and hands its first item to the waiting consumer.</summary>
    /// <param name="enumerator">The enumeration, for the benchmark's reads and its cleanup.</param>
    /// <returns>The operator's observer.</returns>
    public static IObserver<int> StartDropWhenFull(out IAsyncEnumerator<int> enumerator)
    {
        var capture = new CapturingObservable();
        enumerator = capture.DropWhenFull(Scenario.Capacity).GetAsyncEnumerator();
        ValueTask<bool> first = enumerator.MoveNextAsync();
        IObserver<int> observer = capture.Observer!;
        observer.OnNext(-1);
        first.AsTask().GetAwaiter().GetResult();
        return observer;
    }
}
