using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class BufferBoundedTests : ReactiveTest
{
    [Test]
    public void BufferBounded_ArgumentChecking()
    {
        IObservable<int> push = Observable.Never<int>();
        IAsyncEnumerable<int> pull = AsyncEnumerable.Empty<int>();

        Assert.That(() => ObservableBackpressure.BufferBounded<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => push.BufferBounded(0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => push.BufferBounded(1, (BufferOverflow)99), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("overflow"));
        Assert.That(() => push.BufferBounded(1, (BufferOverflow)(-1)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("overflow"));
        Assert.That(
            () => push.BufferBounded(1, BufferOverflow.Wait),
            Throws.TypeOf<ArgumentException>().With.Property("ParamName").EqualTo("overflow").And.Message.Contains("ThrottleOnPressure"));

        Assert.That(() => AsyncEnumerableBackpressure.BufferBounded<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => pull.BufferBounded(0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => pull.BufferBounded(1, (BufferOverflow)99), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("overflow"));
        Assert.That(pull.BufferBounded(1, BufferOverflow.Wait), Is.Not.Null);
        Assert.That(push.BufferBounded(1), Is.Not.Null);
    }

    [Test]
    public void BufferBounded_EveryOverflowMode_AtEveryCapacity(
        [Values(1, 2, 1000)] int capacity,
        [Values(BufferOverflow.Error, BufferOverflow.DropOldest, BufferOverflow.DropNewest, BufferOverflow.DropIncoming, BufferOverflow.Wait)] BufferOverflow overflow,
        [Values(false, true)] bool pullShape)
    {
        if (overflow == BufferOverflow.Wait && !pullShape)
        {
            Assert.That(() => Observable.Never<int>().BufferBounded(capacity, overflow), Throws.ArgumentException);
            return;
        }

        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, Burst.Messages(capacity + 3));

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.BufferBounded(capacity, overflow, drops.Add, scheduler)
                : xs.Observable.BufferBounded(capacity, overflow, drops.Add, scheduler),
            Burst.Processing,
            disposed: 100_000);

        (int[] delivered, int[] dropped) = Burst.Expected(overflow, capacity);
        Exception? error = overflow == BufferOverflow.Error ? res.Messages[^1].Value.Exception : null;
        Assert.That(res.Messages, Is.EqualTo(Burst.Deliveries(delivered, error)));
        Assert.That(drops.Items, Is.EqualTo(dropped.Select(v => new Recorded<int>(Burst.Tick, v))));

        long end = overflow switch
        {
            BufferOverflow.Error => Burst.Tick,        // disposed at the moment of overflow
            BufferOverflow.Wait => Burst.Tick + 30,    // the pump reads the completion when the third slot frees
            _ => Burst.CompletedAt,
        };
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, end) }));
        if (error is not null)
        {
            Assert.That(error, Is.TypeOf<BufferOverflowException>());
            Assert.That(((BufferOverflowException)error).Capacity, Is.EqualTo(capacity));
            Assert.That(error.Message, Does.Contain($"capacity {capacity}"));
        }
    }

    [Test]
    public void BufferBounded_DropOldest_SlowConsumer_ExactTicks([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(150, 0), OnNext(210, 1), OnNext(215, 2), OnNext(220, 3), OnNext(225, 4), OnNext(245, 5), OnCompleted<int>(250)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.BufferBounded(2, BufferOverflow.DropOldest, drops.Add, scheduler)
                : xs.Observable.BufferBounded(2, BufferOverflow.DropOldest, drops.Add, scheduler),
            30);

        // 1 goes to the waiting consumer; 2, 3 fill the buffer; 4 evicts 2 at 225; 240: consumer takes 3; 5 is buffered at 245.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(240, 3), OnNext(270, 4), OnNext(300, 5), OnCompleted<int>(330) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(225, 2) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
    }

    [Test]
    public void BufferBounded_DropNewest_SlowConsumer_ExactTicks([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(215, 2), OnNext(220, 3), OnNext(225, 4), OnNext(245, 5), OnCompleted<int>(250)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.BufferBounded(2, BufferOverflow.DropNewest, drops.Add, scheduler)
                : xs.Observable.BufferBounded(2, BufferOverflow.DropNewest, drops.Add, scheduler),
            30);

        // 4 evicts the tail (3) at 225.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(240, 2), OnNext(270, 4), OnNext(300, 5), OnCompleted<int>(330) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(225, 3) }));
    }

    [Test]
    public void BufferBounded_Error_DisposesAtOverflow_DeliversBuffered_ThenThrows([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(215, 2), OnNext(220, 3), OnNext(225, 4), OnNext(230, 5), OnCompleted<int>(250)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.BufferBounded(2, BufferOverflow.Error, drops.Add, scheduler)
                : xs.Observable.BufferBounded(2, onDropped: drops.Add, scheduler: scheduler),
            30);

        Assert.That(res.Messages.Take(3), Is.EqualTo(new[] { OnNext(210, 1), OnNext(240, 2), OnNext(270, 3) }));
        Assert.That(res.Messages[3].Time, Is.EqualTo(300));
        Assert.That(res.Messages[3].Value.Exception, Is.TypeOf<BufferOverflowException>());
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(225, 4) }), "the overflowing item is reported; nothing after it is received");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 225) }));
    }

    [Test]
    public void BufferBounded_ThrowingOnDropped_FailsLikeASourceError([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("onDropped");
        var drops = new DropRecorder<int>(scheduler, _ => ex);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(215, 2), OnNext(220, 3), OnNext(225, 4), OnNext(230, 5), OnCompleted<int>(250)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.BufferBounded(2, BufferOverflow.DropIncoming, drops.Add, scheduler)
                : xs.Observable.BufferBounded(2, BufferOverflow.DropIncoming, drops.Add, scheduler),
            30);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(240, 2), OnNext(270, 3), OnError<int>(300, ex) }));
        Assert.That(res.Messages[3].Value.Exception, Is.SameAs(ex));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(225, 4) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 225) }));
    }

    [Test]
    public void BufferBounded_PullWait_DoesNotAskTheSourceWhileFull()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(11, 2), OnNext(12, 3), OnNext(13, 4), OnNext(14, 5), OnCompleted<int>(100));

        var res = scheduler.StartPull(() => xs.BufferBounded(2, onDropped: drops.Add, scheduler: scheduler), 25);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(235, 2), OnNext(260, 3), OnNext(285, 4), OnNext(310, 5), OnCompleted<int>(335) }));
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 200, 210, 211, 235, 260, 285 }), "asked again only when a slot freed, at the same tick");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void BufferBounded_PullLiveModes_ReadTheSourceAsFastAsItYields()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(11, 2), OnNext(12, 3), OnNext(13, 4), OnCompleted<int>(14));

        var res = scheduler.StartPull(() => xs.BufferBounded(1, BufferOverflow.DropIncoming, scheduler: scheduler), 25);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(235, 2), OnCompleted<int>(260) }));
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 200, 210, 211, 212, 213 }));
    }
}
