using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Conformance;

/// <summary>The rules every operator keeps (docs/semantics.md), checked for every operator in both shapes.</summary>
[TestFixtureSource(typeof(OperatorCase), nameof(OperatorCase.All))]
public sealed class OperatorConformanceTests : ReactiveTest
{
    private readonly OperatorCase _case;

    public OperatorConformanceTests(OperatorCase operatorCase)
    {
        _case = operatorCase;
    }

    [Test]
    public void Conformance_Empty_CompletesAtTheSourceTick()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(150, 0), OnCompleted<int>(250)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnCompleted<int>(250) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_Never_DisposesAtTheDisposeTick()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(150, 0)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 0);

        Assert.That(res.Messages, Is.Empty);
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 1000) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_Error_IsThrownAsTheSameInstance()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var ex = new InvalidOperationException("boom");
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(150, 0), OnNext(210, 1), OnError<int>(250, ex)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnError<int>(250, ex) }));
        Assert.That(res.Messages[1].Value.Exception, Is.SameAs(ex));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_CompletionWithItemsBuffered_DeliversThemFirst()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(150, 0), OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnCompleted<int>(213)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(230, 2), OnNext(250, 3), OnCompleted<int>(270) }));

        // The subscription ends at the source's terminal signal, not when the consumer gets there. A paused pump
        // reads the completion only when the consumer frees room (230).
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, _case.PausesSource ? 230 : 213) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_ErrorWithItemsBuffered_DeliversThemFirst()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var ex = new InvalidOperationException("late");
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnError<int>(213, ex)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(230, 2), OnNext(250, 3), OnError<int>(270, ex) }));
        Assert.That(res.Messages[3].Value.Exception, Is.SameAs(ex));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_DisposeWithItemsBuffered_ReportsThemAtThatTick()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var counters = new BackpressureCounters();
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 100, disposed: 250);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(250, 2), new Recorded<int>(250, 3) }));
        Assert.That(scheduler.Clock, Is.LessThanOrEqualTo(310), "no timer or delay may outlive the enumeration by much");
    }

    [Test]
    public void Conformance_Cancel_ReportsBufferedItemsAtTheCancelTick_AndPendingMoveNextThrows()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3)]);
        var sequence = _case.Apply(xs, drops.Add, scheduler);
        using var cts = new CancellationTokenSource();
        IAsyncEnumerator<int> e = null!;
        Task<bool> first = null!;
        Task<bool> second = null!;
        Task<bool> third = null!;
        Task dispose = null!;

        scheduler.ScheduleAbsolute(200, () =>
        {
            e = sequence.GetAsyncEnumerator(cts.Token);
            first = e.MoveNextAsync().AsTask();
        });
        scheduler.ScheduleAbsolute(220, () => second = e.MoveNextAsync().AsTask());
        scheduler.ScheduleAbsolute(230, () => second = e.MoveNextAsync().AsTask());
        scheduler.ScheduleAbsolute(240, () => second = e.MoveNextAsync().AsTask());
        scheduler.ScheduleAbsolute(250, cts.Cancel);
        scheduler.ScheduleAbsolute(260, () => third = e.MoveNextAsync().AsTask());
        scheduler.ScheduleAbsolute(300, () => dispose = e.DisposeAsync().AsTask());
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(first.Result, Is.True);
        Assert.That(second.IsCanceled || second.Exception?.InnerException is OperationCanceledException, Is.True, "the pending MoveNextAsync ends with OperationCanceledException");
        Assert.That(third.IsCanceled || third.Exception?.InnerException is OperationCanceledException, Is.True, "MoveNextAsync after cancellation throws OperationCanceledException");
        Assert.That(dispose.IsCompletedSuccessfully, Is.True);
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
        Assert.That(drops.Items, Is.Empty, "items 2 and 3 were delivered at 220 and 230; nothing was left");
    }

    [Test]
    public void Conformance_CancelWhileItemsBuffered_ReportsThemAtTheCancelTick()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3)]);
        var sequence = _case.Apply(xs, drops.Add, scheduler);
        using var cts = new CancellationTokenSource();
        IAsyncEnumerator<int> e = null!;

        scheduler.ScheduleAbsolute(200, () =>
        {
            e = sequence.GetAsyncEnumerator(cts.Token);
            _ = e.MoveNextAsync().AsTask();
        });
        scheduler.ScheduleAbsolute(250, cts.Cancel);
        scheduler.ScheduleAbsolute(300, () => _ = e.DisposeAsync().AsTask());
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(250, 2), new Recorded<int>(250, 3) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
    }

    [Test]
    public void Conformance_DisposeAtPendingMoveNext_PendingCallThrowsOperationCanceled()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1)]);
        var sequence = _case.Apply(xs, drops.Add, scheduler);
        IAsyncEnumerator<int> e = null!;
        Task<bool> pending = null!;
        Task dispose = null!;
        bool afterDispose = true;

        Task<bool> first = null!;
        scheduler.ScheduleAbsolute(200, () =>
        {
            e = sequence.GetAsyncEnumerator();
            first = e.MoveNextAsync().AsTask();
        });
        scheduler.ScheduleAbsolute(220, () => pending = e.MoveNextAsync().AsTask());
        scheduler.ScheduleAbsolute(250, () => dispose = e.DisposeAsync().AsTask());
        scheduler.ScheduleAbsolute(260, () => afterDispose = e.MoveNextAsync().AsTask().Result);
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(first.Result, Is.True);
        Assert.That(pending.IsCompleted, Is.True, "never a hang");
        Assert.That(pending.IsCanceled || pending.Exception?.InnerException is OperationCanceledException, Is.True);
        Assert.That(dispose.IsCompletedSuccessfully, Is.True);
        Assert.That(afterDispose, Is.False, "MoveNextAsync after DisposeAsync returns false");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 250) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_SecondConcurrentMoveNext_IsRejected()
    {
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1)]);
        var sequence = _case.Apply(xs, _ => { }, scheduler);
        Exception? rejected = null;
        Task<bool> first = null!;

        scheduler.ScheduleAbsolute(200, () =>
        {
            var e = sequence.GetAsyncEnumerator();
            first = e.MoveNextAsync().AsTask();
            rejected = Assert.Catch(() => e.MoveNextAsync().AsTask());
        });
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(rejected, Is.TypeOf<InvalidOperationException>());
        Assert.That(first.Result, Is.True, "the first call is unaffected");
    }

    [Test]
    public void Conformance_MoveNextBeforeThePreviousResultWasTaken_IsRejected()
    {
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(220, 2)]);
        var sequence = _case.Apply(xs, _ => { }, scheduler);
        IAsyncEnumerator<int> e = null!;
        ValueTask<bool> first = default;
        Exception? rejected = null;

        scheduler.ScheduleAbsolute(200, () =>
        {
            e = sequence.GetAsyncEnumerator();
            first = e.MoveNextAsync();
        });

        // At 215 the first call has completed (item 1 at 210) but its result was never taken.
        scheduler.ScheduleAbsolute(215, () => rejected = Assert.Catch(() => e.MoveNextAsync().AsTask()));
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(rejected, Is.TypeOf<InvalidOperationException>());
        Assert.That(first.IsCompletedSuccessfully, Is.True);
        Assert.That(first.Result, Is.True);
        Assert.That(e.Current, Is.EqualTo(1));
    }

    [Test]
    public void Conformance_ThrowingOnDroppedAtDispose_IsThrownFromDisposeAsync_AfterReportingEveryItem()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("callback");
        var drops = new DropRecorder<int>(scheduler, _ => ex);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3)]);

        var res = scheduler.StartPull(() => _case.Apply(xs, drops.Add, scheduler), 100, disposed: 250);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnError<int>(250, ex) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(250, 2), new Recorded<int>(250, 3) }));
    }

    [Test]
    public void Conformance_TwoEnumerations_AreIndependent()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnCompleted<int>(300)]);
        var sequence = _case.Apply(xs, drops.Add, scheduler);

        var fast = scheduler.SchedulePull(sequence, _ => 0);
        var slow = scheduler.SchedulePull(sequence, _ => 100);
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(fast.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnCompleted<int>(300) }));
        Assert.That(slow.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(310, 2), OnNext(410, 3), OnCompleted<int>(510) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300), Subscribe(200, _case.PausesSource ? 310 : 300) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Conformance_IsLazy_SubscribesAtTheFirstMoveNext()
    {
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(450, 2)], start: 400);

        var res = scheduler.StartPull(() => _case.Apply(xs, _ => { }, scheduler), 0, subscribed: 400);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(450, 2) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(400, 1000) }));
    }

    [Test]
    public void Conformance_Counters_AccountForEveryItem()
    {
        var scheduler = new TestScheduler();
        var counters = new BackpressureCounters();
        var xs = new TestSource(scheduler, _case.IsPull, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3)]);
        long bufferedAt249 = -1;
        scheduler.ScheduleAbsolute(249, () => bufferedAt249 = counters.Buffered);

        var res = scheduler.StartPull(() => _case.Apply(xs, _ => { }, scheduler, counters), 100, disposed: 250);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1) }));
        Assert.That(bufferedAt249, Is.EqualTo(2));
        Assert.That(counters.Received, Is.EqualTo(3));
        Assert.That(counters.Delivered, Is.EqualTo(1));
        Assert.That(counters.Dropped, Is.EqualTo(2));
        Assert.That(counters.Buffered, Is.Zero);
        Assert.That(counters.PeakBuffered, Is.EqualTo(2));
    }
}
