using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using NUnit.Framework.Constraints;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class ThrottleOnPressureTests : ReactiveTest
{
    [Test]
    public void ThrottleOnPressure_ArgumentChecking()
    {
        IObservable<int> push = Observable.Never<int>();
        IAsyncEnumerable<int> pull = AsyncEnumerable.Empty<int>();
        static IResolveConstraint OutOfRange(string name) => Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name);

        Assert.That(() => ObservableBackpressure.ThrottleOnPressure<int>(null!, 2, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => push.ThrottleOnPressure(0, 0), OutOfRange("highWatermark"));
        Assert.That(() => push.ThrottleOnPressure(2, -1), OutOfRange("lowWatermark"));
        Assert.That(() => push.ThrottleOnPressure(2, 2), OutOfRange("lowWatermark"));
        Assert.That(() => push.ThrottleOnPressure(2, 3), OutOfRange("lowWatermark"));
        Assert.That(() => push.ThrottleOnPressure(4, 1, capacity: 3), OutOfRange("capacity"));
        Assert.That(() => push.ThrottleOnPressure(4, 1, overflow: (BufferOverflow)42), OutOfRange("overflow"));
        Assert.That(() => push.ThrottleOnPressure(4, 1, overflow: BufferOverflow.Wait), Throws.ArgumentException.With.Property("ParamName").EqualTo("overflow"));
        Assert.That(push.ThrottleOnPressure(4, 0, capacity: 4), Is.Not.Null, "capacity equal to the high watermark is allowed");

        Assert.That(() => AsyncEnumerableBackpressure.ThrottleOnPressure<int>(null!, 2, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => pull.ThrottleOnPressure(0, 0), OutOfRange("highWatermark"));
        Assert.That(() => pull.ThrottleOnPressure(2, -1), OutOfRange("lowWatermark"));
        Assert.That(() => pull.ThrottleOnPressure(2, 2), OutOfRange("lowWatermark"));
    }

    [Test]
    public void ThrottleOnPressure_Bridge_PressureTurnsOnAtHighAndOffAtLow_ExactTicks()
    {
        var scheduler = new TestScheduler();
        var pressure = scheduler.CreateObserver<bool>();
        var xs = scheduler.CreateHotObservable(OnNext(150, 0), OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnNext(215, 6), OnCompleted<int>(300));

        var res = scheduler.StartPull(() => xs.ThrottleOnPressure(3, 1, pressure, scheduler: scheduler), 10);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(240, 4), OnNext(250, 5), OnNext(260, 6), OnCompleted<int>(300) }));
        Assert.That(pressure.Messages, Is.EqualTo(new[] { OnNext(213, true), OnNext(250, false) }), "on when 3 are buffered, off when drained to 1; transitions only");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
    }

    [Test]
    public void ThrottleOnPressure_Bridge_ProducerIgnoringTheSignal_HitsTheHardBound()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var counters = new BackpressureCounters();
        var xs = scheduler.CreateHotObservable(Enumerable.Range(1, 10).Select(i => OnNext(210, i)).Append(OnCompleted<int>(215)).ToArray());

        var res = scheduler.StartPull(() => xs.ThrottleOnPressure(2, 0, capacity: 3, overflow: BufferOverflow.DropIncoming, onDropped: drops.Add, scheduler: scheduler, counters: counters), 10);

        Assert.That(res.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(drops.Items.Select(d => d.Value), Is.EqualTo(new[] { 5, 6, 7, 8, 9, 10 }));
        Assert.That(counters.PeakBuffered, Is.EqualTo(3));
        Assert.That(counters.PressureOnCount, Is.EqualTo(1));
    }

    [Test]
    public void ThrottleOnPressure_Bridge_DefaultCapacityIsTwiceTheHighWatermark_ThenError()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = scheduler.CreateHotObservable(Enumerable.Range(1, 10).Select(i => OnNext(210, i)).Append(OnCompleted<int>(215)).ToArray());

        var res = scheduler.StartPull(() => xs.ThrottleOnPressure(3, 1, onDropped: drops.Add, scheduler: scheduler), 10);

        Assert.That(res.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6, 7 }), "one handed off, six buffered");
        Assert.That(res.Messages[^1].Value.Exception, Is.TypeOf<BufferOverflowException>().With.Property("Capacity").EqualTo(6));
        Assert.That(drops.Items.Select(d => d.Value), Is.EqualTo(new[] { 8 }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 210) }));
    }

    [Test]
    public void ThrottleOnPressure_Bridge_EveryOverflowModeAtTheHardBound(
        [Values(1, 2, 1000)] int capacity,
        [Values(BufferOverflow.Error, BufferOverflow.DropOldest, BufferOverflow.DropNewest, BufferOverflow.DropIncoming)] BufferOverflow overflow)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var pressure = scheduler.CreateObserver<bool>();
        var xs = scheduler.CreateHotObservable(Burst.Messages(capacity + 3));
        int high = Math.Max(1, capacity / 2);

        var res = scheduler.StartPull(
            () => xs.ThrottleOnPressure(high, high - 1, pressure, capacity, overflow, drops.Add, scheduler),
            Burst.Processing,
            disposed: 100_000);

        (int[] delivered, int[] dropped) = Burst.Expected(overflow, capacity);
        Exception? error = overflow == BufferOverflow.Error ? res.Messages[^1].Value.Exception : null;
        Assert.That(res.Messages, Is.EqualTo(Burst.Deliveries(delivered, error)));
        Assert.That(drops.Items, Is.EqualTo(dropped.Select(v => new Recorded<int>(Burst.Tick, v))));
        Assert.That(pressure.Messages[0], Is.EqualTo(OnNext(Burst.Tick, true)), "pressure turned on during the burst");
        Assert.That(pressure.Messages.Select(m => m.Value.Value), Is.EqualTo(new[] { true, false }), "and off once drained, exactly once each");
    }

    [Test]
    public void ThrottleOnPressure_Bridge_CooperativeProducer_NeverExceedsTheHighWatermark()
    {
        var scheduler = new TestScheduler();
        var gate = new PressureGate(synchronousContinuations: true);
        var recorded = scheduler.CreateObserver<bool>();
        var pressure = Observer.Create<bool>(v =>
        {
            gate.OnNext(v);
            recorded.OnNext(v);
        });
        var counters = new BackpressureCounters();
        var subject = new Subject<int>();
        var produced = new List<long>();

        async Task ProduceAsync()
        {
            for (int i = 1; i <= 20; i++)
            {
                await gate.WaitAsync();
                produced.Add(scheduler.Clock);
                subject.OnNext(i);
                await scheduler.DelayTicks(1);
            }

            subject.OnCompleted();
        }

        scheduler.ScheduleAbsolute(205, () => _ = ProduceAsync());
        var res = scheduler.StartPull(() => subject.ThrottleOnPressure(4, 1, pressure, scheduler: scheduler, counters: counters), 10);

        Assert.That(res.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value), Is.EqualTo(Enumerable.Range(1, 20)), "lossless");
        Assert.That(counters.Dropped, Is.Zero);
        Assert.That(counters.PeakBuffered, Is.EqualTo(4), "the producer stopped at the high watermark");
        Assert.That(recorded.Messages.Take(2), Is.EqualTo(new[] { OnNext(209, true), OnNext(235, false) }));
        Assert.That(produced.Take(6), Is.EqualTo(new long[] { 205, 206, 207, 208, 209, 235 }), "the producer waited from 210 until pressure turned off at 235");
    }

    [Test]
    public void ThrottleOnPressure_Bridge_ProducerResumedInsideTheOffPublication_StopsAtTheHighWatermark()
    {
        // The consumer's read publishes "off"; the gate resumes the producer inline, inside that publication. The
        // producer's next push decides "on" while "off" is still being published, so "on" cannot be published yet —
        // the gate must still stop the producer at once, or it would push past capacity (== high) and overflow.
        var scheduler = new TestScheduler();
        var gate = new PressureGate(synchronousContinuations: true);
        var counters = new BackpressureCounters();
        var subject = new Subject<int>();

        async Task ProduceAsync()
        {
            for (int i = 1; i <= 20; i++)
            {
                await gate.WaitAsync();
                subject.OnNext(i);
            }

            subject.OnCompleted();
        }

        scheduler.ScheduleAbsolute(205, () => _ = ProduceAsync());
        var res = scheduler.StartPull(() => subject.ThrottleOnPressure(4, 1, gate, capacity: 4, scheduler: scheduler, counters: counters), 10);

        Assert.That(res.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value), Is.EqualTo(Enumerable.Range(1, 20)), "lossless, no overflow");
        Assert.That(res.Messages[^1].Value.Kind, Is.EqualTo(System.Reactive.NotificationKind.OnCompleted));
        Assert.That(counters.PeakBuffered, Is.EqualTo(4));
    }

    [Test]
    public void ThrottleOnPressure_Bridge_ConsumerStopsWhilePressureIsOn_TheGateLetsTheProducerGo()
    {
        var scheduler = new TestScheduler();
        var gate = new PressureGate(synchronousContinuations: true);
        var counters = new BackpressureCounters();
        var subject = new Subject<int>();
        int pushed = 0;

        async Task ProduceAsync()
        {
            for (int i = 1; i <= 10; i++)
            {
                await gate.WaitAsync();
                subject.OnNext(i);
                pushed++;
            }
        }

        Task producer = null!;
        scheduler.ScheduleAbsolute(205, () => producer = ProduceAsync());
        var res = scheduler.StartPull(() => subject.ThrottleOnPressure(2, 0, gate, scheduler: scheduler, counters: counters), 100, disposed: 250);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(205, 1) }));
        Assert.That(producer.IsCompletedSuccessfully, Is.True, "released at the stop, not left waiting for an 'off' that never comes");
        Assert.That(pushed, Is.EqualTo(10));
        Assert.That(gate.IsPressured, Is.False);
        Assert.That(counters.Received, Is.EqualTo(3), "1 delivered, 2 buffered; later pushes go to a disposed subscription");
        Assert.That(counters.Dropped, Is.EqualTo(2), "the buffered items were reported at the stop");
    }

    [Test]
    public void ThrottleOnPressure_Pull_SourceIsNotAskedWhilePressureIsOn()
    {
        var scheduler = new TestScheduler();
        var pressure = scheduler.CreateObserver<bool>();
        var xs = scheduler.CreateColdAsyncEnumerable(Enumerable.Range(1, 10).Select(i => OnNext(9 + i, i)).Append(OnCompleted<int>(20)).ToArray());

        var res = scheduler.StartPull(() => xs.ThrottleOnPressure(3, 1, pressure, scheduler: scheduler), 10);

        Assert.That(res.Messages, Is.EqualTo(Enumerable.Range(1, 10).Select(i => OnNext(200 + (10 * i), i)).Append(OnCompleted<int>(310))));
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 200, 210, 211, 212, 230, 230, 250, 250, 270, 270, 290 }), "read in batches: never between on and off");
        Assert.That(pressure.Messages, Is.EqualTo(new[]
        {
            OnNext(213, true), OnNext(230, false), OnNext(230, true), OnNext(250, false), OnNext(250, true),
            OnNext(270, false), OnNext(270, true), OnNext(290, false),
        }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 290) }));
    }

    [Test]
    public void ThrottleOnPressure_NothingIsSignalledAfterTheConsumerStopped([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var pressure = scheduler.CreateObserver<bool>();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.ThrottleOnPressure(2, 0, pressure, drops.Add, scheduler)
                : xs.Observable.ThrottleOnPressure(2, 0, pressure, onDropped: drops.Add, scheduler: scheduler),
            100,
            disposed: 250);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1) }));
        Assert.That(pressure.Messages, Is.EqualTo(new[] { OnNext(212, true) }), "no 'off' when the consumer stops; the observer is never completed");
        Assert.That(drops.Items.Select(d => d.Value), Is.EqualTo(pullShape ? new[] { 2, 3 } : new[] { 2, 3, 4 }));
    }

    [Test]
    public void ThrottleOnPressure_ThrowingPressureObserver_FailsTheSequenceAfterTheBufferedItems([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("observer");
        var pressure = Observer.Create<bool>(_ => throw ex);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.ThrottleOnPressure(2, 0, pressure, scheduler: scheduler)
                : xs.Observable.ThrottleOnPressure(2, 0, pressure, scheduler: scheduler),
            10);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnError<int>(240, ex) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 212) }));
    }
}
