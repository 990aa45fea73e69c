using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// Faults in code around the operator — a throwing unsubscribe, a scheduler that throws or refuses a due time —
/// never reach the producer, never hang the consumer and never lose an item.
/// </summary>
[Category("Reliability")]
[CancelAfter(30_000)]
public sealed class InfrastructureFaultTests
{
    [Test]
    public void ThrowingUnsubscribe_CancelWhileMoveNextIsPending_EndsItAndDisposeAsyncThrows([Values(false, true)] bool virtualTime)
    {
        var subject = new Subject<int>();
        var unsubscribe = new IOException("unsubscribe failed");
        using var cts = new CancellationTokenSource();
        IAsyncEnumerator<int> e = subject.Finally(() => throw unsubscribe)
            .DropWhenFull(4, scheduler: virtualTime ? new TestScheduler() : null)
            .GetAsyncEnumerator(cts.Token);
        ValueTask<bool> move = e.MoveNextAsync();

        Assert.That(() => cts.Cancel(), Throws.Nothing, "the fault does not escape into Cancel");
        Assert.That(async () => await move.AsTask().WaitAsync(TimeSpan.FromSeconds(20)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await e.DisposeAsync(), Throws.Exception.SameAs(unsubscribe));
        Assert.That(subject.HasObservers, Is.False);
    }

    [Test]
    public void ThrowingUnsubscribe_CompletionWhileTheConsumerWaits_FailsTheSequenceAfterTheItems_NotTheProducer([Values(false, true)] bool virtualTime)
    {
        var subject = new Subject<int>();
        var unsubscribe = new IOException("unsubscribe failed");
        IAsyncEnumerable<int> sequence = subject.Finally(() => throw unsubscribe).BufferBounded(4, scheduler: virtualTime ? new TestScheduler() : null);

        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = Task.Run(async () =>
        {
            var items = new List<int>();
            await foreach (int x in sequence)
            {
                items.Add(x);
                if (x == 1)
                {
                    // Completion meets a consumer that still has items to take.
                    await completed.Task;
                }
            }

            return items;
        });

        SpinWait.SpinUntil(() => subject.HasObservers, TimeSpan.FromSeconds(20));
        Assert.That(
            () =>
            {
                Push(subject, 1, 2, 3);
                subject.OnCompleted();
            },
            Throws.Nothing,
            "the producer never receives the fault");
        completed.SetResult();

        Assert.That(async () => await consumer.WaitAsync(TimeSpan.FromSeconds(20)), Throws.Exception.SameAs(unsubscribe));
    }

    [Test]
    public async Task ThrowingUnsubscribe_CompletionWhileTheConsumerWaitsWithNothingBuffered_WakesItWithTheFault()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var unsubscribe = new IOException("unsubscribe failed");
        await using IAsyncEnumerator<int> e = subject.Finally(() => throw unsubscribe).DropWhenFull(4, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> move = e.MoveNextAsync();

        Assert.That(() => subject.OnCompleted(), Throws.Nothing);

        Assert.That(move.IsCompleted, Is.True, "the waiting consumer was woken");
        Assert.That(async () => await move, Throws.Exception.SameAs(unsubscribe));
    }

    [Test]
    public async Task ThrowingUnsubscribe_SourceError_TheSourceErrorStands_TheFaultTravelsWithIt()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var unsubscribe = new IOException("unsubscribe failed");
        var error = new InvalidOperationException("source failed");
        await using IAsyncEnumerator<int> e = subject.Finally(() => throw unsubscribe).DropWhenFull(4, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> move = e.MoveNextAsync();

        subject.OnError(error);

        Assert.That(async () => await move, Throws.Exception.SameAs(error));
        Assert.That(error.Data["Rx.Backpressure.Suppressed"], Is.SameAs(unsubscribe));
    }

    [Test]
    public void ThrowingUnsubscribe_DisposeWithItemsBuffered_ReportsEveryItemThenThrows([Values(false, true)] bool virtualTime)
    {
        var subject = new Subject<int>();
        var unsubscribe = new IOException("unsubscribe failed");
        var dropped = new ConcurrentQueue<int>();
        var counters = new BackpressureCounters();
        IAsyncEnumerator<int> e = subject.Finally(() => throw unsubscribe)
            .DropWhenFull(8, dropped.Enqueue, virtualTime ? new TestScheduler() : null, counters)
            .GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(0);
        Assert.That(async () => await first, Is.True);
        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);

        Assert.That(async () => await e.DisposeAsync(), Throws.Exception.SameAs(unsubscribe));
        Assert.That(dropped, Is.EqualTo(new[] { 1, 2, 3 }), "every buffered item reached onDropped despite the fault");
        Assert.That(counters.DroppedBy(DropReason.Stopped), Is.EqualTo(3));
        Assert.That(subject.HasObservers, Is.False);
    }

    [Test]
    public void ThrowingUnsubscribe_BufferOverflowError_TheOverflowStands()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var unsubscribe = new IOException("unsubscribe failed");
        var dropped = new List<int>();
        var e = subject.Finally(() => throw unsubscribe).BufferBounded(1, BufferOverflow.Error, dropped.Add, scheduler).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        Assert.That(() => Push(subject, 1, 2, 3), Throws.Nothing);
        Assert.That(async () => await first, Is.True);
        Assert.That(async () => await e.MoveNextAsync(), Is.True);
        var overflow = Assert.ThrowsAsync<BufferOverflowException>(async () => await e.MoveNextAsync());
        Assert.That(overflow!.Data["Rx.Backpressure.Suppressed"], Is.SameAs(unsubscribe));
        Assert.That(dropped, Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void ThrowingScheduler_AtTheFirstWindow_ProducerUnharmed_SampleDelivered_ThenTheSchedulersError([Values(0, 1)] int capacity)
    {
        var refused = new InvalidOperationException("the scheduler refused the timer");
        var scheduler = new TimerScheduler(allowedTimers: 0, refused);
        var subject = new Subject<int>();
        var dropped = new ConcurrentQueue<int>();
        var counters = new BackpressureCounters();
        IAsyncEnumerator<int> e = subject.SampleWhenFull(capacity, TimeSpan.FromSeconds(1), dropped.Enqueue, scheduler, counters).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(0);
        Assert.That(async () => await first, Is.True);

        Assert.That(() => Push(subject, 1, 2, 3, 4), Throws.Nothing, "the producer's OnNext never receives the fault");

        var delivered = new List<int>();
        Exception? end = null;
        try
        {
            while (e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult())
            {
                delivered.Add(e.Current);
            }
        }
        catch (Exception ex)
        {
            end = ex;
        }

        // The fault ends the sequence and disposes the subscription: later pushes never arrive.
        Assert.That(end, Is.SameAs(refused));
        Assert.That(delivered, Is.EqualTo(Enumerable.Range(1, capacity + 1)), "the buffered items, then the sample pending when the window could not open");
        Assert.That(dropped, Is.Empty);
        Assert.That(counters.Received, Is.EqualTo(counters.Delivered + counters.Dropped));
        Assert.That(subject.HasObservers, Is.False);
    }

    [Test]
    public void ThrowingScheduler_AtAChainedWindow_TheTimerThreadUnharmed_EvictedItemReported_ThenTheSchedulersError()
    {
        var refused = new InvalidOperationException("no more timers");
        var scheduler = new TimerScheduler(allowedTimers: 1, refused);
        var subject = new Subject<int>();
        var dropped = new ConcurrentQueue<int>();
        IAsyncEnumerator<int> e = subject.SampleWhenFull(1, TimeSpan.FromSeconds(1), dropped.Enqueue, scheduler).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(1);
        Assert.That(async () => await first, Is.True);
        subject.OnNext(2);   // buffered
        subject.OnNext(3);   // opens the first window: the one timer allowed

        Assert.That(() => scheduler.FireAll(), Throws.Nothing, "closing the window admits 3, evicting 2; the chained window's timer is refused");

        Assert.That(dropped, Is.EqualTo(new[] { 2 }));
        Assert.That(async () => await e.MoveNextAsync(), Is.True);
        Assert.That(e.Current, Is.EqualTo(3));
        Assert.That(async () => await e.MoveNextAsync(), Throws.Exception.SameAs(refused));
    }

    [Test]
    public void PeriodBeyondWhatARealSchedulersTimersAccept_RejectedAtTheCall()
    {
        TimeSpan sixtyDays = TimeSpan.FromDays(60);
        IObservable<int> push = Observable.Never<int>();
        IAsyncEnumerable<int> pull = AsyncEnumerable.Empty<int>();

        foreach (IScheduler? scheduler in new IScheduler?[] { null, Scheduler.Default, TaskPoolScheduler.Default })
        {
            Assert.That(() => push.SampleWhenFull(1, sixtyDays, scheduler: scheduler), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("period"));
            Assert.That(() => pull.SampleWhenFull(1, sixtyDays, scheduler: scheduler), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("period"));
        }

        Assert.That(push.SampleWhenFull(1, TimeSpan.FromDays(49), scheduler: Scheduler.Default), Is.Not.Null);
        Assert.That(push.SampleWhenFull(1, sixtyDays, scheduler: new TestScheduler()), Is.Not.Null, "virtual time takes any period");
        Assert.That(pull.SampleWhenFull(1, TimeSpan.FromDays(3650), scheduler: new HistoricalScheduler()), Is.Not.Null);
    }

    [Test]
    public async Task LongPeriodOnARealScheduler_FirstSurge_DoesNotThrowIntoOnNext()
    {
        var subject = new Subject<int>();
        var counters = new BackpressureCounters();
        await using IAsyncEnumerator<int> e = subject.SampleWhenFull(1, TimeSpan.FromDays(49), scheduler: Scheduler.Default, counters: counters).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(1);
        Assert.That(await first, Is.True);

        Assert.That(() => Push(subject, 2, 3, 4), Throws.Nothing);
        subject.OnCompleted();

        Assert.That(await e.MoveNextAsync(), Is.True);
        Assert.That(e.Current, Is.EqualTo(2));
        Assert.That(await e.MoveNextAsync(), Is.True);
        Assert.That(e.Current, Is.EqualTo(4), "the pending sample is delivered at completion, without waiting for its window");
        Assert.That(await e.MoveNextAsync(), Is.False);
    }

    private static void Push(Subject<int> subject, params int[] items)
    {
        foreach (int item in items)
        {
            subject.OnNext(item);
        }
    }

    /// <summary>A real (not virtual-time) scheduler whose timers the test fires by hand; it refuses timers beyond a quota.</summary>
    private sealed class TimerScheduler : IScheduler
    {
        private readonly int _allowedTimers;
        private readonly Exception _refusal;
        private readonly Queue<Func<IDisposable>> _timers = new();
        private int _scheduled;

        public TimerScheduler(int allowedTimers, Exception refusal)
        {
            _allowedTimers = allowedTimers;
            _refusal = refusal;
        }

        public DateTimeOffset Now => DateTimeOffset.UtcNow;

        public void FireAll()
        {
            while (_timers.TryDequeue(out Func<IDisposable>? timer))
            {
                timer();
            }
        }

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) => throw new NotSupportedException();

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
        {
            if (++_scheduled > _allowedTimers)
            {
                throw _refusal;
            }

            _timers.Enqueue(() => action(this, state));
            return Disposable.Empty;
        }

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) => throw new NotSupportedException();
    }
}
