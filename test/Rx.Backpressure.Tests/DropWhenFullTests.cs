using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class DropWhenFullTests : ReactiveTest
{
    [Test]
    public void DropWhenFull_ArgumentChecking()
    {
        Assert.That(() => ObservableBackpressure.DropWhenFull<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => Observable.Never<int>().DropWhenFull(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => AsyncEnumerableBackpressure.DropWhenFull<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => AsyncEnumerable.Empty<int>().DropWhenFull(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(Observable.Never<int>().DropWhenFull(0), Is.Not.Null, "capacity 0 is allowed");
        Assert.That(AsyncEnumerable.Empty<int>().DropWhenFull(0), Is.Not.Null, "capacity 0 is allowed");
    }

    [Test]
    public void DropWhenFull_DesignExample([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(150, 0), OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 2, drops, scheduler), 25);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(235, 2), OnNext(260, 3), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(213, 4), new Recorded<int>(214, 5) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
    }

    [Test]
    public void DropWhenFull_EveryCapacity([Values(0, 1, 2, 1000)] int capacity, [Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, Burst.Messages(capacity + 3));

        var res = scheduler.StartPull(() => Apply(xs, pullShape, capacity, drops, scheduler), Burst.Processing, disposed: 100_000);

        (int[] delivered, int[] dropped) = Burst.Expected(BufferOverflow.DropIncoming, capacity);
        Assert.That(res.Messages, Is.EqualTo(Burst.Deliveries(delivered)));
        Assert.That(drops.Items, Is.EqualTo(dropped.Select(v => new Recorded<int>(Burst.Tick, v))));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, Burst.CompletedAt) }));
    }

    [Test]
    public void DropWhenFull_CapacityZero_OnlyHandsOffToAWaitingConsumer([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(212, 2), OnNext(214, 3), OnNext(220, 4), OnNext(221, 5), OnCompleted<int>(230)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 0, drops, scheduler), 5);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(220, 4), OnCompleted<int>(230) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(212, 2), new Recorded<int>(214, 3), new Recorded<int>(221, 5) }));
    }

    [Test]
    public void DropWhenFull_ContiguousRunGapFreshData([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var messages = Enumerable.Range(1, 20).Select(i => OnNext(200 + (10 * i), i)).Append(OnCompleted<int>(1000)).ToArray();
        var xs = new TestSource(scheduler, pullShape, messages);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 3, drops, scheduler), 33, disposed: 2000);

        int[] values = res.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value).ToArray();
        Assert.That(values.Take(4), Is.EqualTo(new[] { 1, 2, 3, 4 }), "a contiguous run");
        Assert.That(values, Is.Ordered.Ascending.And.Unique);
        Assert.That(values.Concat(drops.Items.Select(d => d.Value)).Order(), Is.EqualTo(Enumerable.Range(1, 20)), "every item delivered or dropped, exactly once");
        Assert.That(drops.Items, Is.Not.Empty, "a gap");
        Assert.That(values.Count(v => v > drops.Items[0].Value), Is.GreaterThan(0), "then fresh data");
        Assert.That(res.Messages.Where(m => m.Value.HasValue).Select(m => m.Time), Is.EqualTo(values.Select((_, k) => 210L + (33 * k))), "a busy consumer takes the next item the tick it is free");
    }

    [Test]
    public void DropWhenFull_ItemsRacingInAfterStop_AreReported_AfterSourceEnd_Ignored()
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var stopped = new RawObservable<int>();
        var ended = new RawObservable<int>();

        IAsyncEnumerator<int> e1 = stopped.DropWhenFull(2, drops.Add, scheduler).GetAsyncEnumerator();
        _ = e1.MoveNextAsync().AsTask();
        e1.DisposeAsync().AsTask().Wait();
        stopped.OnNext(42);

        IAsyncEnumerator<int> e2 = ended.DropWhenFull(2, drops.Add, scheduler).GetAsyncEnumerator();
        Task<bool> end = e2.MoveNextAsync().AsTask();
        ended.OnCompleted();
        ended.OnNext(43);
        ended.OnError(new InvalidOperationException("after completion"));

        Assert.That(drops.Items.Select(d => d.Value), Is.EqualTo(new[] { 42 }), "an item after the consumer stopped is reported; one after the source's own end is ignored");
        Assert.That(end.Result, Is.False, "completion stands; the later OnError is ignored");
        Assert.That(stopped.Disposals, Is.EqualTo(1));
        Assert.That(ended.Disposals, Is.EqualTo(1));
    }

    private static IAsyncEnumerable<int> Apply(TestSource xs, bool pullShape, int capacity, DropRecorder<int> drops, TestScheduler scheduler) =>
        pullShape
            ? xs.AsyncEnumerable.DropWhenFull(capacity, drops.Add, scheduler)
            : xs.Observable.DropWhenFull(capacity, drops.Add, scheduler);
}
