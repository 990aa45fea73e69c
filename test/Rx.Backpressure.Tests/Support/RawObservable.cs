using System;
using System.Collections.Generic;

namespace Rx.Backpressure.Tests.Support;

/// <summary>
/// A push source without Rx's safety wrappers: it keeps every observer and calls it directly, even after the
/// subscription is disposed or a terminal signal was sent — to test misbehaving sources.
/// </summary>
public sealed class RawObservable<T> : IObservable<T>
{
    public List<IObserver<T>> Observers { get; } = [];

    public int Disposals { get; private set; }

    public Exception? SubscribeThrows { get; set; }

    public IDisposable Subscribe(IObserver<T> observer)
    {
        if (SubscribeThrows is not null)
        {
            throw SubscribeThrows;
        }

        Observers.Add(observer);
        return new Subscription(this);
    }

    public void OnNext(T value)
    {
        foreach (var o in Observers.ToArray())
        {
            o.OnNext(value);
        }
    }

    public void OnError(Exception error)
    {
        foreach (var o in Observers.ToArray())
        {
            o.OnError(error);
        }
    }

    public void OnCompleted()
    {
        foreach (var o in Observers.ToArray())
        {
            o.OnCompleted();
        }
    }

    private sealed class Subscription(RawObservable<T> parent) : IDisposable
    {
        public void Dispose() => parent.Disposals++;
    }
}
