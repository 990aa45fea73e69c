using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Tests;

/// <summary>
/// The operators compose with what users already have: an Rx query in front, .NET 10's async LINQ and
/// System.Interactive.Async 7 behind — without ambiguity errors, and still exact in virtual time.
/// </summary>
public sealed class ComposabilityTests : ReactiveTest
{
    [Test]
    public void RxQuery_FeedsEachOperator_AsyncLinq_Follows()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnNext(215, 6), OnCompleted<int>(300));

        // Rx: Where/Select/Buffer in front; async LINQ: Select/Where behind.
        var res = scheduler.StartPull(
            () => xs.Where(x => x != 3).Select(x => x * 10).Buffer(2)
                .DropWhenFull(1, scheduler: scheduler)
                .Select(batch => batch.Sum())
                .Where(sum => sum > 0),
            25);

        // Batches: [10,20] at 211, [40,50] at 214, [60] at 300 (completion flushes). The first goes to the waiting
        // consumer, the second is buffered, the third arrives after it was taken.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(211, 30), OnNext(236, 90), OnNext(300, 60), OnCompleted<int>(325) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
    }

    [Test]
    public void EveryOperator_ComposesWithAsyncLinqAndIx([Values("BufferBounded", "DropWhenFull", "SampleWhenFull", "ThrottleOnPressure")] string op)
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(240, 4), OnCompleted<int>(250));
        IAsyncEnumerable<int> Operator() => op switch
        {
            "BufferBounded" => xs.BufferBounded(4, scheduler: scheduler),
            "DropWhenFull" => xs.DropWhenFull(4, scheduler: scheduler),
            "SampleWhenFull" => xs.SampleWhenFull(4, scheduler: scheduler),
            _ => xs.ThrottleOnPressure(4, 1, scheduler: scheduler),
        };

        // Ix's Do and Buffer(count), then .NET's Select: all resolve without ambiguity and stay in virtual time.
        var res = scheduler.StartPull(() => Operator().Do(_ => { }).Buffer(2).Select(b => b[0] + b[1]), 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(220, 3), OnNext(240, 7), OnCompleted<int>(250) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
    }

    [Test]
    public void AsyncLinqSource_FeedsThePullShape_TakeDisposesTheSource()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(20, 2), OnNext(30, 3), OnNext(40, 4), OnCompleted<int>(50));

        var res = scheduler.StartPull(
            () => xs.Select(x => x * 2).Where(x => x != 4).BufferBounded(2, scheduler: scheduler).Take(2),
            0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 2), OnNext(230, 6), OnCompleted<int>(230) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 230) }), "Take stops the pull shape, which disposes its source at once");
    }

    [Test]
    public async Task AwaitForeach_WithCancellation_AndConfigureAwait_Compose()
    {
        var results = new List<int>();
        using var cts = new System.Threading.CancellationTokenSource();
        await foreach (int x in AsyncEnumerable.Range(0, 10).BufferBounded(2).WithCancellation(cts.Token).ConfigureAwait(false))
        {
            results.Add(x);
        }

        Assert.That(results, Is.EqualTo(Enumerable.Range(0, 10)));
    }
}
