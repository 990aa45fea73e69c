using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Concurrency;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class MisbehavingSourceTests : ReactiveTest
{
    [Test]
    public void Bridge_SubscribeThrows_FirstMoveNextThrowsThatException()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("subscribe");
        var source = new RawObservable<int> { SubscribeThrows = ex };

        var res = scheduler.StartPull(() => source.BufferBounded(2, scheduler: scheduler), 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnError<int>(200, ex) }));
    }

    [Test]
    public void Bridge_OnErrorTwice_AndOnNextAfterError_AreIgnored()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var source = new RawObservable<int>();
        var first = new InvalidOperationException("first");
        scheduler.ScheduleAbsolute(210, () => source.OnNext(1));
        scheduler.ScheduleAbsolute(220, () => source.OnError(first));
        scheduler.ScheduleAbsolute(221, () => source.OnError(new InvalidOperationException("second")));
        scheduler.ScheduleAbsolute(222, () => source.OnNext(2));
        scheduler.ScheduleAbsolute(223, () => source.OnCompleted());

        var res = scheduler.StartPull(() => source.DropWhenFull(4, drops.Add, scheduler), 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnError<int>(220, first) }));
        Assert.That(drops.Items, Is.Empty);
        Assert.That(source.Disposals, Is.EqualTo(1), "disposed once, at the terminal signal");
    }

    [Test]
    public void Pull_MoveNextThrows_IsDeliveredAfterBufferedItems_AsTheSameInstance()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("move next");
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(11, 2), OnError<int>(12, ex));

        var res = scheduler.StartPull(() => xs.BufferBounded(4, BufferOverflow.DropOldest, scheduler: scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(230, 2), OnError<int>(250, ex) }));
        Assert.That(res.Messages[2].Value.Exception, Is.SameAs(ex));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 212) }));
    }

    [Test]
    public void Pull_DisposeAsyncThrows_AfterCompletion_FailsTheSequence()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("dispose");
        var source = new ThrowingDispose(ex);

        var res = scheduler.StartPull(() => source.DropWhenFull(4, scheduler: scheduler), 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(200, 1), OnError<int>(200, ex) }));
    }

    private sealed class ThrowingDispose(Exception error) : IAsyncEnumerable<int>
    {
        public IAsyncEnumerator<int> GetAsyncEnumerator(System.Threading.CancellationToken cancellationToken = default) => new Enumerator(error);

        private sealed class Enumerator(Exception error) : IAsyncEnumerator<int>
        {
            private int _index;

            public int Current => 1;

            public ValueTask<bool> MoveNextAsync() => new(_index++ == 0);

            public ValueTask DisposeAsync() => ValueTask.FromException(error);
        }
    }
}
