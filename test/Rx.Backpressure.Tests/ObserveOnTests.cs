using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Tests;

public sealed class ObserveOnTests : ReactiveTest
{
    [Test]
    public void ObserveOn_ArgumentChecking()
    {
        IAsyncEnumerable<int> source = AsyncEnumerable.Range(1, 3);
        Assert.That(() => AsyncEnumerableBackpressure.ObserveOn<int>(null!, Scheduler.Default), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => source.ObserveOn(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("scheduler"));
        Assert.That(() => source.ObserveOn(Scheduler.Default).Subscribe((IObserver<int>)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("observer"));
    }

    [Test]
    public void ObserveOn_VirtualTime_ItemsReachAFreeObserverAtTheTickTheyArrive_NoShift()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(150, 0), OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs.DropWhenFull(4, scheduler: scheduler).ObserveOn(scheduler));

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnCompleted<int>(300) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
    }

    [Test]
    public void ObserveOn_VirtualTime_AnObserverThatSpendsTime_DelaysTheNextRequestByExactlyThatTime()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(0, 1), OnNext(0, 2), OnNext(0, 3), OnCompleted<int>(0));
        var seen = new List<(long Tick, int Value)>();
        var completed = -1L;

        scheduler.ScheduleAbsolute(200, () => xs.ObserveOn(scheduler).Subscribe(
            x =>
            {
                seen.Add((scheduler.Clock, x));
                scheduler.Sleep(10);   // the observer spends 10 ticks on each item
            },
            () => completed = scheduler.Clock));
        scheduler.Start();

        Assert.That(seen, Is.EqualTo(new[] { (200L, 1), (210L, 2), (220L, 3) }));
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 200, 210, 220, 230 }), "the next request waits until OnNext returned");
        Assert.That(completed, Is.EqualTo(230));
    }

    [Test]
    public void ObserveOn_SameItemsInTheSameOrderAsRxObserveOn_WhenNothingOverflows()
    {
        var scheduler = new TestScheduler();
        Recorded<System.Reactive.Notification<int>>[] messages = [.. Enumerable.Range(1, 50).Select(i => OnNext(200 + (i * 3), i)), OnCompleted<int>(400)];
        var xs = scheduler.CreateHotObservable(messages);

        var ours = scheduler.Start(() => xs.BufferBounded(64, scheduler: scheduler).ObserveOn(scheduler));
        var scheduler2 = new TestScheduler();
        var ys = scheduler2.CreateHotObservable(messages);
        var rx = scheduler2.Start(() => ys.ObserveOn(scheduler2));

        Assert.That(ours.Messages.Select(m => m.Value), Is.EqualTo(rx.Messages.Select(m => m.Value)));
        Assert.That(ours.Messages.Select(m => m.Time), Is.EqualTo(rx.Messages.Select(m => m.Time - 1)), "Rx's ObserveOn runs one tick later (scheduled for 'now')");
    }

    [Test]
    [Category("RealThreads")]
    [CancelAfter(60_000)]
    public async Task ObserveOn_SurgeIntoASlowObserver_NeverMoreThanOneActionOfOursQueued_MemoryBounded()
    {
        using var loop = new EventLoopScheduler();
        var counting = new CountingScheduler(loop);
        var subject = new Subject<int>();
        var counters = new BackpressureCounters();
        var received = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using IDisposable subscription = subject.SampleWhenFull(1, counters: counters).ObserveOn(counting).Subscribe(
            x =>
            {
                received.Add(x);
                Thread.SpinWait(20_000);   // a slow UI update
            },
            () => done.SetResult());
        await Task.Run(() =>
        {
            for (int i = 0; i < 200_000; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await done.Task;

        Assert.That(counting.MaxQueued, Is.EqualTo(1), "the scheduler's queue never held more than one action of ours");
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(2), "capacity 1 plus the pending sample");
        Assert.That(received, Is.Ordered.Ascending);
        Assert.That(received[^1], Is.EqualTo(199_999), "the last value is never lost");
        Assert.That(counters.Delivered + counters.Dropped, Is.EqualTo(200_000));
        Assert.That(received, Has.Count.EqualTo(counters.Delivered));
    }

    [Test]
    public void ObserveOn_DisposingTheSubscription_CancelsAtOnce_UpstreamReportsWhatItHeld_NothingAfter()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var subject = new Subject<int>();
        var observer = scheduler.CreateObserver<int>();
        IDisposable subscription = null!;
        int delivered = 0;

        subscription = subject.BufferBounded(8, BufferOverflow.DropOldest, drops.Add, scheduler).ObserveOn(scheduler).Subscribe(x =>
        {
            observer.OnNext(x);
            if (++delivered == 1)
            {
                // While the observer handles 1, 2 and 3 arrive and are buffered; then it disposes its subscription.
                subject.OnNext(2);
                subject.OnNext(3);
                subscription.Dispose();
            }
        });
        scheduler.ScheduleAbsolute(210, () => subject.OnNext(1));
        scheduler.ScheduleAbsolute(220, () => subject.OnNext(4));
        scheduler.Start();

        Assert.That(observer.Messages, Is.EqualTo(new[] { OnNext(210, 1) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(210, 2), new Recorded<int>(210, 3) }), "reported at the dispose");
        Assert.That(subject.HasObservers, Is.False, "unsubscribed at once");
    }

    [Test]
    public void ObserveOn_ErrorsAsTheSameInstance_AfterTheItems()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("source");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(211, 2), OnError<int>(212, ex));

        var res = scheduler.Start(() => xs.BufferBounded(4, scheduler: scheduler).ObserveOn(scheduler));

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(211, 2), OnError<int>(212, ex) }));
    }

    [Test]
    public void ObserveOn_ThrowingObserver_StopsTheEnumeration_RethrowsOnTheScheduler()
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("observer");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnCompleted<int>(300));
        scheduler.ScheduleAbsolute(200, () => xs.DropWhenFull(4, scheduler: scheduler).ObserveOn(scheduler).Subscribe(_ => throw ex));

        Assert.That(() => scheduler.Start(), Throws.Exception.SameAs(ex));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 210) }), "the enumeration was stopped");
    }

    [Test]
    [Category("RealThreads")]
    [CancelAfter(30_000)]
    public async Task ObserveOn_RealScheduler_DeliversOnTheScheduler_InOrder_ThenCompletes()
    {
        using var loop = new EventLoopScheduler();
        int loopThread = await Observable.Start(() => Environment.CurrentManagedThreadId, loop);
        var threads = new ConcurrentBag<int>();
        var items = new List<int>();

        await AsyncEnumerable.Range(1, 1000).BufferBounded(16).ObserveOn(loop).Do(x =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            items.Add(x);
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(1, 1000)));
        Assert.That(threads.Distinct(), Is.EqualTo(new[] { loopThread }));
    }

    [Test]
    [Category("RealThreads")]
    [CancelAfter(30_000)]
    [TestCaseSource(nameof(ThreadPoolSchedulers))]
    public async Task ObserveOn_ThreadPoolSchedulers_DeliverInOrder_OnPoolThreads_InTheProducersExecutionContext(IScheduler scheduler)
    {
        var flowed = new AsyncLocal<string>();
        var seen = new ConcurrentBag<(bool Pool, string? Flowed)>();
        var items = new List<int>();

        // The pump that produces the items starts in this context, and Rx's thread-pool schedulers carry the
        // context of the code that schedules: the observer sees it, as it would behind Rx's own ObserveOn.
        flowed.Value = "subscriber";
        await AsyncEnumerable.Range(1, 20_000).BufferBounded(16).ObserveOn(scheduler).Do(x =>
        {
            seen.Add((Thread.CurrentThread.IsThreadPoolThread, flowed.Value));
            items.Add(x);
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(1, 20_000)));
        Assert.That(seen.Distinct(), Is.EqualTo(new[] { (true, "subscriber") }));
    }

    [Test]
    [Category("RealThreads")]
    [CancelAfter(30_000)]
    public async Task ObserveOn_TaskPool_AnObserverThatThrowsAtTheEnd_MeetsTheTaskPoolsHandling_AsBehindRxObserveOn()
    {
        var ours = new InvalidOperationException("ours");
        var rxs = new InvalidOperationException("Rx's");
        var unobserved = new ConcurrentBag<Exception>();
        void Record(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            foreach (Exception inner in e.Exception.InnerExceptions)
            {
                unobserved.Add(inner);
            }
        }

        static void EndAndThrow(ManualResetEventSlim ended, Exception ex)
        {
            ended.Set();
            throw ex;
        }

        TaskScheduler.UnobservedTaskException += Record;
        try
        {
            using var endedOurs = new ManualResetEventSlim();
            using var endedRxs = new ManualResetEventSlim();
            IDisposable a = AsyncEnumerable.Range(1, 100).BufferBounded(16).ObserveOn(TaskPoolScheduler.Default)
                .Subscribe(_ => { }, () => EndAndThrow(endedOurs, ours));
            IDisposable b = Observable.Range(1, 100).ObserveOn(TaskPoolScheduler.Default)
                .Subscribe(_ => { }, () => EndAndThrow(endedRxs, rxs));
            Assert.That(endedOurs.Wait(10_000) && endedRxs.Wait(10_000), Is.True);

            // Nothing of either subscription may keep its faulted task reachable.
            a.Dispose();
            b.Dispose();

            // A task pool action's exception surfaces when its task is collected, unobserved: the task ends just after
            // the observer threw, so collect until both are finalized, a bounded number of times.
            for (int attempt = 0; attempt < 1_000 && !(unobserved.Contains(ours) && unobserved.Contains(rxs)); attempt++)
            {
                await Task.Yield();
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= Record;
        }

        Assert.That(unobserved, Does.Contain(ours).And.Contain(rxs));
    }

    private static IEnumerable<IScheduler> ThreadPoolSchedulers() =>
        [TaskPoolScheduler.Default, ThreadPoolScheduler.Instance, DefaultScheduler.Instance];

    /// <summary>Counts the actions scheduled and not yet run, to prove the queue stays bounded.</summary>
    private sealed class CountingScheduler(IScheduler inner) : IScheduler
    {
        private int _queued;
        private int _maxQueued;

        public int MaxQueued => Volatile.Read(ref _maxQueued);

        public DateTimeOffset Now => inner.Now;

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
        {
            int queued = Interlocked.Increment(ref _queued);
            InterlockedMax(ref _maxQueued, queued);
            return inner.Schedule((Self: this, State: state, Action: action), static (s, x) =>
            {
                Interlocked.Decrement(ref x.Self._queued);
                return x.Action(x.Self, x.State);
            });
        }

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) => inner.Schedule(state, dueTime, (_, s) => action(this, s));

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) => inner.Schedule(state, dueTime, (_, s) => action(this, s));

        private static void InterlockedMax(ref int target, int value)
        {
            int current = Volatile.Read(ref target);
            while (value > current)
            {
                int seen = Interlocked.CompareExchange(ref target, value, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }
}
