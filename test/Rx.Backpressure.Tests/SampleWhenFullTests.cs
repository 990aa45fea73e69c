using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class SampleWhenFullTests : ReactiveTest
{
    [Test]
    public void SampleWhenFull_ArgumentChecking()
    {
        IObservable<int> push = Observable.Never<int>();
        IAsyncEnumerable<int> pull = AsyncEnumerable.Empty<int>();

        Assert.That(() => ObservableBackpressure.SampleWhenFull<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => push.SampleWhenFull(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => push.SampleWhenFull(1, TimeSpan.Zero), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("period"));
        Assert.That(() => push.SampleWhenFull(1, TimeSpan.FromTicks(-1)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("period"));
        Assert.That(() => AsyncEnumerableBackpressure.SampleWhenFull<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => pull.SampleWhenFull(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => pull.SampleWhenFull(1, TimeSpan.Zero), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("period"));
        Assert.That(push.SampleWhenFull(0, TimeSpan.FromTicks(1)), Is.Not.Null);
        Assert.That(pull.SampleWhenFull(0), Is.Not.Null);
    }

    [Test]
    public void SampleWhenFull_Latest_EveryCapacity([Values(0, 1, 2, 1000)] int capacity, [Values(false, true)] bool pullShape, [Values(false, true)] bool withPeriod)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, Burst.Messages(capacity + 3));
        TimeSpan? period = withPeriod ? TimeSpan.FromTicks(100) : null;

        var res = scheduler.StartPull(() => Apply(xs, pullShape, capacity, period, drops, scheduler), Burst.Processing, disposed: 100_000);

        // 1 to the waiting consumer, 2..c+1 buffered, c+2 pending then replaced by c+3; completion delivers the pending sample.
        int[] delivered = [.. Enumerable.Range(1, capacity + 1), capacity + 3];
        Assert.That(res.Messages, Is.EqualTo(Burst.Deliveries(delivered)));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(Burst.Tick, capacity + 2) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, Burst.CompletedAt) }));
    }

    [Test]
    public void SampleWhenFull_Latest_PendingSampleTakesTheFreedSlot([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(150, 0), OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, null, drops, scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(230, 2), OnNext(250, 5), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(213, 3), new Recorded<int>(214, 4) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
    }

    [Test]
    public void SampleWhenFull_Latest_CapacityZero_PendingGoesToTheNextPull([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 0, null, drops, scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(230, 3), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(212, 2) }));
    }

    [Test]
    public void SampleWhenFull_Period_WindowBoundariesAndEviction([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(215, 4), OnNext(225, 5), OnNext(230, 6), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, TimeSpan.FromTicks(10), drops, scheduler), 50);

        // 3 opens a window [212, 222); 4 replaces 3; at 222 the buffer is still full: 2 is evicted and 4 admitted,
        // and the surge goes on: the next window [222, 232) opens at once. 5 becomes its sample, 6 replaces 5; at 232
        // 4 is evicted and 6 admitted; the window [232, 242) closes empty and ends the surge.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(260, 6), OnCompleted<int>(310) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(215, 3), new Recorded<int>(222, 2), new Recorded<int>(230, 5), new Recorded<int>(232, 4) }));
    }

    [Test]
    public void SampleWhenFull_Period_ArrivalNeverOvertakesThePendingSample([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(225, 4), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, TimeSpan.FromTicks(20), drops, scheduler), 5);

        // The slot frees at 215 and the consumer waits from 220, but the window [212, 232) is open: 4 replaces 3,
        // and the sample is handed over when the window closes.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(215, 2), OnNext(232, 4), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(225, 3) }));
    }

    [Test]
    public void SampleWhenFull_Period_LastValueIsDeliveredAtCompletion_TimerCancelled([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnCompleted<int>(220)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, TimeSpan.FromTicks(1000), drops, scheduler), 50);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(260, 2), OnNext(310, 3), OnCompleted<int>(360) }));
        Assert.That(drops.Items, Is.Empty);
        Assert.That(scheduler.Clock, Is.EqualTo(1000), "the window's timer (due 1212) was cancelled");
    }

    [Test]
    public void SampleWhenFull_Period_ErrorDeliversThePendingSampleFirst([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("source");
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnError<int>(220, ex)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, TimeSpan.FromTicks(1000), new DropRecorder<int>(scheduler), scheduler), 50);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(260, 2), OnNext(310, 3), OnError<int>(360, ex) }));
    }

    [Test]
    public void SampleWhenFull_Period_CompletionHandsThePendingSampleToAWaitingConsumer([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(215, 2), OnCompleted<int>(250)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 0, TimeSpan.FromTicks(1000), drops, scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(250, 2), OnCompleted<int>(270) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void SampleWhenFull_Period_CapacityZero_PendingWaitsForItsWindow([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(212, 2), OnNext(215, 3), OnNext(225, 4), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 0, TimeSpan.FromTicks(10), drops, scheduler), 30);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(240, 4), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(215, 2), new Recorded<int>(225, 3) }));
    }

    [Test]
    public void SampleWhenFull_Period_CapacityZero_ConsumerWaitingInsideTheWindowGetsItAtTheClose([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(212, 2), OnNext(215, 3), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 0, TimeSpan.FromTicks(10), drops, scheduler), 5);

        // The consumer waits from 215; 3 arrives at 215 inside the window [212, 222) and replaces 2.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(222, 3), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(215, 2) }));
    }

    [Test]
    public void SampleWhenFull_ThrowingOnDropped_AtAReplacedSample_FailsAfterTheHeldItems([Values(false, true)] bool pullShape, [Values(false, true)] bool withPeriod)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("callback");
        var drops = new DropRecorder<int>(scheduler, _ => ex);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, withPeriod ? TimeSpan.FromTicks(1000) : null, drops, scheduler), 20);

        // 3 is replaced by 4 at 213 and the callback throws: the source is disposed, 2 and the pending 4 are delivered, then the error.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(230, 2), OnNext(250, 4), OnError<int>(270, ex) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(213, 3) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 213) }));
    }

    [Test]
    public void SampleWhenFull_Period_SustainedOverload_AtMostOnePerPeriod()
    {
        var scheduler = new TestScheduler();
        var counters = new BackpressureCounters();
        var xs = scheduler.CreateHotObservable(Enumerable.Range(1, 500).Select(i => OnNext(200 + i, i)).ToArray());

        var res = scheduler.StartPull(() => xs.SampleWhenFull(0, TimeSpan.FromTicks(50), scheduler: scheduler, counters: counters), 1, disposed: 700);

        var times = res.Messages.Select(m => m.Time).ToArray();
        Assert.That(times.Zip(times.Skip(1), (a, b) => b - a), Has.All.GreaterThanOrEqualTo(50));
        Assert.That(counters.Received, Is.EqualTo(500));
        Assert.That(counters.Delivered + counters.Dropped, Is.EqualTo(500));
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(1));
    }

    [Test]
    public void SampleWhenFull_Period_SustainedSurge_ExactlyOneItemPerPeriod_Capacity1([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [.. Enumerable.Range(210, 190).Select(t => OnNext(t, t)), OnCompleted<int>(400)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, TimeSpan.FromTicks(10), drops, scheduler), 3);

        // 210 is handed over, 211 buffered, 212 opens the first window [212, 222). From then on the windows chain while
        // the surge lasts: at every close the latest arrival is handed to the waiting consumer and the next window
        // opens at once. In the bridge the arrival at the closing tick comes first (the hot source scheduled it
        // earlier than the timer); the pump asks for it one tick before, after the timer was scheduled.
        int atClose = pullShape ? 1 : 0;
        var expected = new List<Recorded<System.Reactive.Notification<int>>> { OnNext(210, 210), OnNext(213, 211) };
        for (int t = 222; t <= 392; t += 10)
        {
            expected.Add(OnNext(t, t - atClose));
        }

        expected.Add(OnNext(400, 399));   // completion makes the last pending sample deliverable at once
        expected.Add(OnCompleted<int>(403));
        Assert.That(res.Messages, Is.EqualTo(expected));
        Assert.That(drops.Items, Has.Count.EqualTo(190 - (expected.Count - 1)), "every other arrival was replaced");
    }

    [Test]
    public void SampleWhenFull_Period_SustainedSurge_ARoomyBufferDoesNotLiftTheRateCap([Values(4, 16)] int capacity)
    {
        var scheduler = new TestScheduler();
        var counters = new BackpressureCounters();
        var xs = scheduler.CreateHotObservable([.. Enumerable.Range(210, 1000).Select(t => OnNext(t, t))]);

        var res = scheduler.StartPull(() => xs.SampleWhenFull(capacity, TimeSpan.FromTicks(10), scheduler: scheduler, counters: counters), 3, disposed: 1210);

        // Once the items buffered before the surge are drained (the consumer takes one per 3 ticks, a window admits one
        // per 10), one item per period: a roomy buffer never lets the consumer's own pace through.
        long[] times = [.. res.Messages.Where(m => m.Value.Kind == System.Reactive.NotificationKind.OnNext).Select(m => m.Time)];
        long[] surge = [.. times.Where(t => t >= 400)];
        Assert.That(surge, Has.Length.GreaterThan(70));
        Assert.That(surge.Zip(surge.Skip(1), (a, b) => b - a), Has.All.EqualTo(10));
        Assert.That(counters.Delivered + counters.Dropped + counters.Buffered, Is.EqualTo(1000));
    }

    [Test]
    public void SampleWhenFull_Period_WindowClosingEmpty_EndsTheSurge_ArrivalsAreBufferedAgain([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(240, 4), OnNext(241, 5), OnNext(242, 6), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, TimeSpan.FromTicks(10), drops, scheduler), 5);

        // 3 opens [212, 222) and is handed over at its close; the chained window [222, 232) closes empty and ends the
        // surge. 4 goes straight to the waiting consumer, 5 is buffered again, 6 opens a new first window [242, 252).
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(215, 2), OnNext(222, 3), OnNext(240, 4), OnNext(245, 5), OnNext(252, 6), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void SampleWhenFull_Period_ConsumerThatDrainedTheBuffer_GetsTheSampleAtTheClose_NotBefore([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(210, 4), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 2, TimeSpan.FromTicks(50), drops, scheduler), 1);

        // 1 is handed over, 2 and 3 fill the buffer, 4 opens the window [210, 260). The consumer drains 2 and 3 by 212
        // and waits while 4 is held as the window's sample: it gets 4 at the close, one period after the surge began,
        // and the chained window [260, 310) is cut short by completion.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(260, 4), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.Empty);
    }

    private static IAsyncEnumerable<int> Apply(TestSource xs, bool pullShape, int capacity, TimeSpan? period, DropRecorder<int> drops, TestScheduler scheduler) =>
        pullShape
            ? xs.AsyncEnumerable.SampleWhenFull(capacity, period, drops.Add, scheduler)
            : xs.Observable.SampleWhenFull(capacity, period, drops.Add, scheduler);
}
