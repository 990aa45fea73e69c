using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Tests.Testing;

public sealed class StartPullTests : ReactiveTest
{
    [Test]
    public void StartPull_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        Assert.That(() => TestSchedulerPullExtensions.StartPull<int>(null!, () => AsyncEnumerable.Empty<int>(), 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("scheduler"));
        Assert.That(() => scheduler.StartPull<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("create"));
        Assert.That(() => scheduler.StartPull(() => AsyncEnumerable.Empty<int>(), -1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("processingTicks"));
        Assert.That(() => scheduler.StartPull(() => AsyncEnumerable.Empty<int>(), (Func<int, long>)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("processingTicks"));
        Assert.That(() => scheduler.StartPull(() => AsyncEnumerable.Empty<int>(), 1, created: 300, subscribed: 200), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("subscribed"));
        Assert.That(() => scheduler.StartPull(() => AsyncEnumerable.Empty<int>(), 1, subscribed: 300, disposed: 200), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("disposed"));
        Assert.That(() => TestSchedulerPullExtensions.CreateColdAsyncEnumerable<int>(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("scheduler"));
        Assert.That(() => scheduler.SchedulePull((IAsyncEnumerable<int>)null!, _ => 0), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("sequence"));
    }

    [Test]
    public void StartPull_RecordsItemsAtTheirTicks_WithPerItemCost()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 5), OnNext(11, 20), OnNext(12, 1), OnCompleted<int>(13));

        var res = scheduler.StartPull(() => xs, item => item);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 5), OnNext(215, 20), OnNext(235, 1), OnCompleted<int>(236) }));
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 200, 215, 235, 236 }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 236) }));
    }

    [Test]
    public void StartPull_DisposedTick_CancelsAPendingPullAndDisposes()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(2000, 2));

        var res = scheduler.StartPull(() => xs, 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 1000) }));
        Assert.That(scheduler.Clock, Is.EqualTo(1000), "the source's timer for the item at 2200 was cancelled");
    }

    [Test]
    public void StartPull_DisposedTick_StopsProcessing()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(20, 2));

        var res = scheduler.StartPull(() => xs, 5000);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 1000) }));
        Assert.That(scheduler.Clock, Is.EqualTo(1000), "the processing delay was cancelled");
    }

    [Test]
    public void StartPull_RecordsTheSourceError()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnError<int>(20, ex));

        var res = scheduler.StartPull(() => xs, 0);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnError<int>(220, ex) }));
    }

    [Test]
    public void StartPull_IsDeterministicUnderAPostingSynchronizationContext()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new ThreadPoolContext());
        try
        {
            var scheduler = new TestScheduler();
            var xs = scheduler.CreateHotObservable(OnNext(150, 0), OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300));

            // Async LINQ adds ConfigureAwait(false) layers; they must stay inside virtual time too.
            var res = scheduler.StartPull(() => xs.DropWhenFull(2, scheduler: scheduler).Select(x => x * 10), 25);

            Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 10), OnNext(235, 20), OnNext(260, 30), OnCompleted<int>(300) }));
            Assert.That(SynchronizationContext.Current, Is.InstanceOf<ThreadPoolContext>(), "the context is restored");
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    [Test]
    public void SchedulePull_TwoConsumersShareOneRun()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnCompleted<int>(20));

        var a = scheduler.SchedulePull(xs, _ => 0, subscribed: 200);
        var b = scheduler.SchedulePull(xs, _ => 0, subscribed: 300);
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(a.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnCompleted<int>(220) }));
        Assert.That(b.Messages, Is.EqualTo(new[] { OnNext(310, 1), OnCompleted<int>(320) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 220), Subscribe(300, 320) }));
    }

    [Test]
    public void ColdAsyncEnumerable_CancellationEndsAPendingCall()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(100, 1));
        using var cts = new CancellationTokenSource();
        Task<bool> pending = null!;

        scheduler.ScheduleAbsolute(10, () => pending = xs.GetAsyncEnumerator(cts.Token).MoveNextAsync().AsTask());
        scheduler.ScheduleAbsolute(20, cts.Cancel);
        scheduler.StartWithoutSynchronizationContext();

        Assert.That(pending.IsCanceled, Is.True);
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 10 }));
        Assert.That(scheduler.Clock, Is.EqualTo(20), "the item's timer was cancelled");
    }

    [Test]
    public void SynchronizationContextScope_ClearsAndRestores()
    {
        var previous = SynchronizationContext.Current;
        var context = new ThreadPoolContext();
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            using (SynchronizationContextScope.Clear())
            {
                Assert.That(SynchronizationContext.Current, Is.Null);
            }

            Assert.That(SynchronizationContext.Current, Is.SameAs(context));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    [Test]
    public void SchedulePull_UnderAPostingContext_HoweverTheSchedulerIsDriven_RecordsTheSameAsStartPull(
        [Values("Start", "AdvanceTo", "AdvanceBy")] string drive,
        [Values(false, true)] bool asyncLinqAfterTheBridge,
        [Values(false, true)] bool pullShape)
    {
        var expected = Run(new TestScheduler(), useStartPull: true);

        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new ThreadPoolContext());
        try
        {
            var actual = Run(new TestScheduler(), useStartPull: false);
            Assert.That(actual, Is.EqualTo(expected));
            Assert.That(expected, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 5), OnCompleted<int>(300) }));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        IList<Recorded<Notification<int>>> Run(TestScheduler scheduler, bool useStartPull)
        {
            IAsyncEnumerable<int> Create()
            {
                var messages = new[] { OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300) };
                IAsyncEnumerable<int> items = pullShape
                    ? scheduler.CreateColdAsyncEnumerable(messages.Select(m => new Recorded<Notification<int>>(m.Time - 200, m.Value)).ToArray()).SampleWhenFull(1, scheduler: scheduler)
                    : scheduler.CreateHotObservable(messages).SampleWhenFull(1, scheduler: scheduler);
                return asyncLinqAfterTheBridge ? items.Select(x => x * 1).Where(x => x > 0) : items;
            }

            if (useStartPull)
            {
                return scheduler.StartPull(Create, 10).Messages;
            }

            var observer = scheduler.SchedulePull(Create, 10);
            switch (drive)
            {
                case "Start":
                    scheduler.Start();
                    break;
                case "AdvanceTo":
                    scheduler.AdvanceTo(250);
                    scheduler.AdvanceTo(2000);
                    break;
                default:
                    for (int i = 0; i < 200; i++)
                    {
                        scheduler.AdvanceBy(10);
                    }

                    break;
            }

            return observer.Messages;
        }
    }

    [Test]
    public void SchedulePull_DrivenFromDifferentThreadsInTurn_IsNotMistakenForAnEscape()
    {
        // An async test may drive the scheduler from one thread, await, then drive it from another: the item that
        // arrives in the second run resumes the consumer inside virtual time on that other thread.
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(260, 2), OnCompleted<int>(300));
        var res = scheduler.SchedulePull(() => xs.DropWhenFull(4, scheduler: scheduler), 0);

        foreach (long until in new long[] { 250, 2_000 })
        {
            var driver = new Thread(() => scheduler.AdvanceTo(until));
            driver.Start();
            driver.Join();
        }

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(260, 2), OnCompleted<int>(300) }));
    }

    [Test]
    public void SchedulePull_HasStartPullsShape_FactoryCreatedAtItsTick_PerItemCost_Pulls()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(310, 1), OnNext(311, 2), OnNext(312, 3), OnCompleted<int>(400));
        long createdAt = -1;
        var pulls = new List<long>();

        var res = scheduler.SchedulePull(
            () =>
            {
                createdAt = scheduler.Clock;
                return xs.BufferBounded(4, scheduler: scheduler);
            },
            x => x * 10,
            created: 250,
            subscribed: 300,
            disposed: 1000,
            pulls: pulls);
        scheduler.Start();

        Assert.That(createdAt, Is.EqualTo(250));
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(310, 1), OnNext(320, 2), OnNext(340, 3), OnCompleted<int>(400) }));
        Assert.That(pulls, Is.EqualTo(new long[] { 300, 320, 340, 370 }));
        Assert.That(() => scheduler.SchedulePull(() => xs.BufferBounded(1), 1, created: 300, subscribed: 200), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => scheduler.SchedulePull(() => xs.BufferBounded(1), -1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("processingTicks"));
        Assert.That(() => scheduler.SchedulePull((Func<IAsyncEnumerable<int>>)null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("create"));
    }

    [Test]
    public void StartPull_AContinuationThatEscapesVirtualTime_IsRecordedAsAnError_NotASilentlyShortResult([Values(false, true)] bool yieldInThePipeline)
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnCompleted<int>(300));

        // Either a pipeline that hops to the thread pool, or an operator not given the TestScheduler (it resumes the
        // consumer on the thread pool, as it must in production).
        var res = scheduler.StartPull(() => yieldInThePipeline ? Hop(xs.DropWhenFull(4, scheduler: scheduler)) : xs.DropWhenFull(4), 0);

        Assert.That(res.Messages, Is.Not.Empty);
        var last = res.Messages[^1].Value;
        Assert.That(last.Kind, Is.EqualTo(NotificationKind.OnError), "the recording says something went wrong");
        Assert.That(last.Exception!.Message, Does.Contain("escaped virtual time"));

        static async IAsyncEnumerable<int> Hop(IAsyncEnumerable<int> source)
        {
            await foreach (int x in source.ConfigureAwait(false))
            {
                await Task.Yield();
                yield return x;
            }
        }
    }

    [Test]
    public void DropRecorder_RecordsEachDropAtItsTick_AndCanThrow()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<char>(scheduler);
        var xs = scheduler.CreateHotObservable(Marble.Parse("--abcde------------|", offset: 200, frame: 5));

        var res = scheduler.StartPull(() => xs.DropWhenFull(2, drops.Add, scheduler), 25);

        Assert.That(Marble.Format(res.Messages, 200, 5), Is.EqualTo("--a----b----c------|"));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<char>(225, 'd'), new Recorded<char>(230, 'e') }));

        var ex = new InvalidOperationException("drop");
        var throwing = new DropRecorder<int>(scheduler, x => x == 2 ? ex : null);
        throwing.Add(1);
        Assert.That(() => throwing.Add(2), Throws.Exception.SameAs(ex));
        Assert.That(throwing.Items.Select(r => r.Value), Is.EqualTo(new[] { 1, 2 }), "recorded before throwing");
        Assert.That(() => new DropRecorder<int>(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("scheduler"));
    }

    /// <summary>Like NUnit 4.5+'s context: posts every continuation to the thread pool.</summary>
    private sealed class ThreadPoolContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => ThreadPool.QueueUserWorkItem(_ => d(state));
    }
}
