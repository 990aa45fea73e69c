using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Tests;

public class Smoke : ReactiveTest
{
    [Test]
    public void DesignExample()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(150, 0), OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300));
        var dropped = new System.Collections.Generic.List<int>();
        var res = scheduler.StartPull(() => xs.DropWhenFull(2, dropped.Add, scheduler), 25);
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(235, 2), OnNext(260, 3), OnCompleted<int>(300) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
        Assert.That(dropped, Is.EqualTo(new[] { 4, 5 }));
    }
}
