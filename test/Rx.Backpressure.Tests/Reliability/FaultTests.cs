using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Concurrency;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>Each fault has a documented outcome (docs/reliability.md) and a test here or in MisbehavingSourceTests.</summary>
[Category("Reliability")]
public sealed class FaultTests : ReactiveTest
{
    [Test]
    public void Fault_OnDroppedThrowsOnTheNthCall_FailsTheSequence_AfterTheBufferedItems([Values(1, 1000)] int throwOnCall, [Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException($"onDropped call {throwOnCall}");
        int calls = 0;
        var counters = new BackpressureCounters();
        var xs = new TestSource(scheduler, pullShape, Enumerable.Range(1, 2000).Select(i => OnNext(210, i)).Append(OnCompleted<int>(300)).ToArray());

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.DropWhenFull(3, Throwing, scheduler, counters)
                : xs.Observable.DropWhenFull(3, Throwing, scheduler, counters),
            10);

        // 1 handed off, 3 buffered; the throwing call is the n-th drop: the source is disposed right then.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(240, 4), OnError<int>(250, ex) }));
        Assert.That(calls, Is.EqualTo(throwOnCall), "no call after the subscription was disposed");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 210) }));
        Assert.That(counters.Received, Is.EqualTo(counters.Delivered + counters.Dropped));

        void Throwing(int item)
        {
            if (++calls == throwOnCall)
            {
                throw ex;
            }
        }
    }

    [Test]
    public void Fault_OnDroppedThrowsAfterTheSequenceFailed_TheFirstErrorStands()
    {
        var scheduler = new TestScheduler();
        var source = new RawObservable<int>();
        var first = new InvalidOperationException("first");
        int calls = 0;
        scheduler.ScheduleAbsolute(210, () =>
        {
            for (int i = 1; i <= 6; i++)
            {
                source.OnNext(i);   // the raw source keeps pushing after being disposed
            }
        });

        var res = scheduler.StartPull(
            () => source.DropWhenFull(1, _ => throw (++calls == 1 ? first : new InvalidOperationException("later")), scheduler),
            10);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2), OnError<int>(230, first) }));
        Assert.That(calls, Is.EqualTo(4), "items racing in after the failure are still reported, once each");
        Assert.That(source.Disposals, Is.EqualTo(1));
    }

    [Test]
    public async Task Fault_ConsumerThrowsInsideAwaitForeach_SubscriptionDisposed_BufferedItemsReported_ExceptionUnchanged([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new List<int>();
        var consumerError = new InvalidOperationException("consumer");
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3)]);
        var sequence = pullShape
            ? xs.AsyncEnumerable.BufferBounded(4, BufferOverflow.DropOldest, drops.Add, scheduler)
            : xs.Observable.BufferBounded(4, BufferOverflow.DropOldest, drops.Add, scheduler);
        Task consumer = null!;

        async Task Consume()
        {
            await foreach (int item in sequence)
            {
                await scheduler.DelayTicks(50);
                throw consumerError;
            }
        }

        scheduler.ScheduleAbsolute(200, () => consumer = Consume());
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(() => consumer, Throws.Exception.SameAs(consumerError));
        Assert.That(drops, Is.EqualTo(new[] { 2, 3 }), "the items left in the buffer were reported when await foreach disposed the enumerator");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 260) }));
        await Task.CompletedTask;
    }

    [Test]
    public void Fault_PressureObserverThrowsOnRelease_FailsTheSequence([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("pressure off");
        var pressure = System.Reactive.Observer.Create<bool>(on =>
        {
            if (!on)
            {
                throw ex;
            }
        });
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.ThrottleOnPressure(2, 0, pressure, scheduler: scheduler)
                : xs.Observable.ThrottleOnPressure(2, 0, pressure, scheduler: scheduler),
            10);

        // On at 212 (2 buffered). Pull: the pump pauses, so the buffer drains to 0 at 230 and the observer throws
        // there. Bridge: 4 still arrives at 213 (the producer does not listen), so the drain to 0 is at 240.
        Assert.That(res.Messages, Is.EqualTo(pullShape
            ? new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnError<int>(240, ex) }
            : new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(240, 4), OnError<int>(250, ex) }));
    }
}
