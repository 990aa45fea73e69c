using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Contract;

/// <summary>Smaller holes of the contract: OnError(null), use after dispose, faults that meet, messages, drop reasons.</summary>
public sealed class ContractEdgeTests : ReactiveTest
{
    [Test]
    public async Task OnErrorNull_FailsTheSequenceWithArgumentNullException_NeverCompletesNormally()
    {
        var scheduler = new TestScheduler();
        var source = new RawObservable<int>();
        await using IAsyncEnumerator<int> e = source.DropWhenFull(4, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        source.OnNext(1);
        Assert.That(await first, Is.True);
        source.OnNext(2);

        source.OnError(null!);

        Assert.That(await e.MoveNextAsync(), Is.True, "the buffered item comes first");
        Assert.That(e.Current, Is.EqualTo(2));
        Assert.That(async () => await e.MoveNextAsync(), Throws.ArgumentNullException);
    }

    [TestCaseSource(typeof(OperatorCase), nameof(OperatorCase.All))]
    public async Task DisposedBeforeTheFirstMoveNext_LaterCallsReturnFalse_AndTouchNothing(OperatorCase op)
    {
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, op.IsPull, [OnNext(210, 1), OnCompleted<int>(300)]);
        var drops = new List<int>();
        var counters = new BackpressureCounters();
        IAsyncEnumerator<int> e = op.Apply(xs, drops.Add, scheduler, counters).GetAsyncEnumerator();

        await e.DisposeAsync();
        ValueTask<bool> move = e.MoveNextAsync();
        scheduler.Start();

        Assert.That(move.IsCompletedSuccessfully, Is.True);
        Assert.That(await move, Is.False);
        Assert.That(await e.MoveNextAsync(), Is.False);
        Assert.That(xs.Subscriptions, Is.Empty, "never subscribed, no pump started");
        Assert.That(counters.Received, Is.Zero);
        Assert.That(drops, Is.Empty);
        await e.DisposeAsync();
    }

    [TestCaseSource(typeof(OperatorCase), nameof(OperatorCase.All))]
    public void CancelledBeforeTheFirstMoveNext_ThrowsTheCancellation_AndTouchesNothing(OperatorCase op)
    {
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, op.IsPull, [OnNext(210, 1), OnCompleted<int>(300)]);
        using var cts = new CancellationTokenSource();
        IAsyncEnumerator<int> e = op.Apply(xs, _ => { }, scheduler).GetAsyncEnumerator(cts.Token);

        cts.Cancel();

        Assert.That(async () => await e.MoveNextAsync(), Throws.InstanceOf<OperationCanceledException>());
        scheduler.Start();
        Assert.That(xs.Subscriptions, Is.Empty);
    }

    [Test]
    public void ErrorMode_ThrowingOnDroppedForTheOverflowingItem_IsTheInnerExceptionOfTheOverflow([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var callback = new InvalidOperationException("onDropped failed");
        var drops = new DropRecorder<int>(scheduler, _ => callback);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.BufferBounded(1, BufferOverflow.Error, drops.Add, scheduler)
                : xs.Observable.BufferBounded(1, BufferOverflow.Error, drops.Add, scheduler),
            10);

        Assert.That(res.Messages.Take(2), Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2) }));
        Assert.That(res.Messages, Has.Count.EqualTo(3));
        var overflow = res.Messages[2].Value.Exception as BufferOverflowException;
        Assert.That(overflow, Is.Not.Null);
        Assert.That(overflow!.Capacity, Is.EqualTo(1));
        Assert.That(overflow.InnerException, Is.SameAs(callback), "neither fault is lost");
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(212, 3) }));
    }

    [Test]
    public async Task MoveNextBeforeThePreviousResultWasAwaited_SaysSo()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        await using IAsyncEnumerator<int> e = subject.DropWhenFull(2, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(1);   // completes the first call; its result is not taken yet

        var ex = Assert.Throws<InvalidOperationException>(() => e.MoveNextAsync());
        Assert.That(ex!.Message, Does.Contain("before the result of the previous MoveNextAsync").And.Not.Contain("still pending"));
        Assert.That(await first, Is.True);
    }

    [Test]
    public async Task MoveNextWhileThePreviousIsStillPending_SaysSo()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        await using IAsyncEnumerator<int> e = subject.DropWhenFull(2, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();

        var ex = Assert.Throws<InvalidOperationException>(() => e.MoveNextAsync());
        Assert.That(ex!.Message, Does.Contain("still pending"));
        subject.OnNext(1);
        Assert.That(await first, Is.True);
    }

    [Test]
    public void DropReasons_AreCountedPerReason_AndAddUpToDropped()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable([.. Enumerable.Range(1, 10).Select(i => OnNext(210, i)), OnCompleted<int>(300)]);
        var oldest = new BackpressureCounters();
        var incoming = new BackpressureCounters();
        var sampled = new BackpressureCounters();
        var stopped = new BackpressureCounters();

        scheduler.SchedulePull(() => xs.BufferBounded(3, BufferOverflow.DropOldest, scheduler: scheduler, counters: oldest), 1000, disposed: 10_000);
        scheduler.SchedulePull(() => xs.DropWhenFull(3, scheduler: scheduler, counters: incoming), 1000, disposed: 10_000);
        scheduler.SchedulePull(() => xs.SampleWhenFull(3, scheduler: scheduler, counters: sampled), 1000, disposed: 10_000);
        scheduler.SchedulePull(() => xs.DropWhenFull(3, scheduler: scheduler, counters: stopped), 1000, disposed: 250);
        scheduler.Start();

        // 1 is handed to the waiting consumer, 3 are buffered, 6 more arrive at a full buffer.
        Assert.That(oldest.DroppedBy(DropReason.Evicted), Is.EqualTo(6));
        Assert.That(incoming.DroppedBy(DropReason.Overflow), Is.EqualTo(6));
        Assert.That(sampled.DroppedBy(DropReason.Replaced), Is.EqualTo(5), "the last pending sample is delivered");
        Assert.That(stopped.DroppedBy(DropReason.Overflow), Is.EqualTo(6));
        Assert.That(stopped.DroppedBy(DropReason.Stopped), Is.EqualTo(3), "held when the consumer stopped");
        foreach (BackpressureCounters c in new[] { oldest, incoming, sampled, stopped })
        {
            long sum = Enum.GetValues<DropReason>().Sum(c.DroppedBy);
            Assert.That(sum, Is.EqualTo(c.Dropped), c.ToString());
        }

        Assert.That(() => oldest.DroppedBy((DropReason)42), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("reason"));
    }

    [Test]
    public async Task CancellationFromAnotherThread_AReadDuringItsReports_WaitsForThem_ThenSeesTheCancellation()
    {
        // The cancellation's callback reports the left-overs on the cancelling thread. A read that arrives while it is
        // still reporting must not see the cancellation before every drop is reported.
        var subject = new Subject<int>();
        var dropped = new List<int>();
        using var reporting = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var sequence = subject.BufferBounded(8, BufferOverflow.DropIncoming, item =>
        {
            lock (dropped)
            {
                dropped.Add(item);
            }

            reporting.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        await using IAsyncEnumerator<int> e = sequence.GetAsyncEnumerator(cts.Token);
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(0);
        Assert.That(await first, Is.True);
        subject.OnNext(1);
        subject.OnNext(2);

        Task cancel = Task.Run(cts.Cancel);
        Assert.That(reporting.Wait(TimeSpan.FromSeconds(30)), Is.True, "the stop started reporting");
        ValueTask<bool> next = e.MoveNextAsync();
        Assert.That(next.IsCompleted, Is.False, "the read waits while the stop reports");

        release.Set();
        Assert.That(async () => await next, Throws.InstanceOf<OperationCanceledException>());
        lock (dropped)
        {
            Assert.That(dropped, Is.EqualTo(new[] { 1, 2 }), "every left-over reported before the consumer saw the cancellation");
        }

        await cancel;
    }
}
