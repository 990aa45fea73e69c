using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class LatestByKeyTests : ReactiveTest
{
    [Test]
    public void LatestByKey_ArgumentChecking()
    {
        IObservable<int> push = Observable.Never<int>();
        IAsyncEnumerable<int> pull = AsyncEnumerable.Empty<int>();

        Assert.That(() => ObservableBackpressure.LatestByKey<int, int>(null!, x => x, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => push.LatestByKey<int, int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("keySelector"));
        Assert.That(() => push.LatestByKey(x => x, 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => push.LatestByKey(x => x, 1, (BufferOverflow)99), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("overflow"));
        Assert.That(() => push.LatestByKey(x => x, 1, BufferOverflow.Wait), Throws.ArgumentException.With.Property("ParamName").EqualTo("overflow").And.Message.Contain("cannot wait"));
        Assert.That(() => AsyncEnumerableBackpressure.LatestByKey<int, int>(null!, x => x, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => pull.LatestByKey<int, int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("keySelector"));
        Assert.That(() => pull.LatestByKey(x => x, 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacity"));
        Assert.That(pull.LatestByKey(x => x, 1, BufferOverflow.Wait), Is.Not.Null);
        Assert.That(push.LatestByKey(x => x, int.MaxValue), Is.Not.Null);
    }

    [Test]
    public void LatestByKey_ReplacementKeepsTheKeysPosition_ReplacedValueDroppedAtItsTick([Values(false, true)] bool pullShape)
    {
        // Values are key * 10 + version: 10, 20, 30 are keys 1, 2, 3.
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var counters = new BackpressureCounters();
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 10), OnNext(211, 20), OnNext(212, 30), OnNext(213, 21), OnNext(214, 22), OnNext(215, 31), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 3, BufferOverflow.DropOldest, drops, scheduler, counters), 20);

        // 10 goes to the waiting consumer; 2x and 3x keep their first-arrival order while their values are replaced.
        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 10), OnNext(230, 22), OnNext(250, 31), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(213, 20), new Recorded<int>(214, 21), new Recorded<int>(215, 30) }));
        Assert.That(counters.DroppedBy(DropReason.Replaced), Is.EqualTo(3));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 300) }));
    }

    [Test]
    public void LatestByKey_TheDocsExample([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 10), OnNext(211, 20), OnNext(212, 30), OnNext(213, 21), OnNext(214, 31), OnNext(215, 40), OnNext(240, 22), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 2, BufferOverflow.DropOldest, drops, scheduler), 20);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 10), OnNext(230, 31), OnNext(250, 40), OnNext(270, 22), OnCompleted<int>(300) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(213, 20), new Recorded<int>(214, 30), new Recorded<int>(215, 21) }));
    }

    [TestCase(BufferOverflow.DropOldest, new[] { 30, 40 }, new[] { 20 })]
    [TestCase(BufferOverflow.DropNewest, new[] { 20, 40 }, new[] { 30 })]
    [TestCase(BufferOverflow.DropIncoming, new[] { 20, 30 }, new[] { 40 })]
    public void LatestByKey_NewKeyAtCapacity_AppliesTheOverflow(BufferOverflow overflow, int[] delivered, int[] dropped)
    {
        foreach (bool pullShape in new[] { false, true })
        {
            var scheduler = new TestScheduler();
            var drops = new DropRecorder<int>(scheduler);
            var xs = new TestSource(scheduler, pullShape, [OnNext(210, 10), OnNext(211, 20), OnNext(212, 30), OnNext(213, 40), OnCompleted<int>(300)]);

            var res = scheduler.StartPull(() => Apply(xs, pullShape, 2, overflow, drops, scheduler), 50);

            Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 10), OnNext(260, delivered[0]), OnNext(310, delivered[1]), OnCompleted<int>(360) }), $"pull: {pullShape}");
            Assert.That(drops.Items.Select(d => d.Value), Is.EqualTo(dropped));
        }
    }

    [Test]
    public void LatestByKey_Error_FailsAfterTheHeldValues([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 10), OnNext(211, 20), OnNext(212, 21), OnNext(213, 30), OnCompleted<int>(300)]);

        var res = scheduler.StartPull(() => Apply(xs, pullShape, 1, BufferOverflow.Error, drops, scheduler), 50);

        Assert.That(res.Messages.Take(2), Is.EqualTo(new[] { OnNext(210, 10), OnNext(260, 21) }));
        Assert.That(res.Messages[2].Value.Exception, Is.TypeOf<BufferOverflowException>());
        Assert.That(res.Messages[2].Time, Is.EqualTo(310));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(212, 20), new Recorded<int>(213, 30) }));
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 213) }));
    }

    [Test]
    public void LatestByKey_PullWait_StopsReadingWhileCapacityKeysAreHeld()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 10), OnNext(11, 20), OnNext(12, 30), OnNext(13, 40), OnCompleted<int>(100));

        var res = scheduler.StartPull(() => xs.LatestByKey(x => x / 10, 2, BufferOverflow.Wait, scheduler: scheduler), 25);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 10), OnNext(235, 20), OnNext(260, 30), OnNext(285, 40), OnCompleted<int>(310) }));
        Assert.That(xs.Requests, Is.EqualTo(new long[] { 200, 210, 211, 235, 260 }), "never asked while two keys were held");
    }

    [Test]
    public void LatestByKey_NullIsAKey_AndAComparerDecidesEquality()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable<string?>(OnNext<string?>(210, "first"), OnNext<string?>(211, "a1"), OnNext<string?>(212, (string?)null), OnNext<string?>(213, "A2"), OnNext<string?>(214, (string?)null), OnCompleted<string?>(300));

        var res = scheduler.StartPull(
            () => xs.LatestByKey(s => s?[..1], 4, comparer: StringComparer.OrdinalIgnoreCase, scheduler: scheduler),
            50);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext<string?>(210, "first"), OnNext<string?>(260, "A2"), OnNext<string?>(310, (string?)null), OnCompleted<string?>(360) }));
    }

    [Test]
    public void LatestByKey_ThrowingKeySelectorOrComparer_FailsTheSequenceAfterTheHeldValues_ArrivalReported([Values("selector", "comparer")] string culprit)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var ex = new InvalidOperationException(culprit);
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(211, 2), OnNext(212, 13), OnNext(213, 4), OnCompleted<int>(300));
        Func<int, int> selector = culprit == "selector" ? x => x > 10 ? throw ex : x : x => x;
        IEqualityComparer<int> comparer = culprit == "comparer" ? new ThrowingComparer(13, ex) : EqualityComparer<int>.Default;

        var res = scheduler.StartPull(() => xs.LatestByKey(selector, 4, onDropped: drops.Add, comparer: comparer, scheduler: scheduler), 50);

        Assert.That(res.Messages, Is.EqualTo(new[] { OnNext(210, 1), OnNext(260, 2), OnError<int>(310, ex) }));
        Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded<int>(212, 13) }), "the arrival it concerned is reported, nothing else lost");
        Assert.That(xs.Subscriptions, Is.EqualTo(new[] { Subscribe(200, 212) }));
    }

    [Test]
    public void LatestByKey_ManyKeys_StorageFollowsTheKeysHeld_AndIsGivenBack()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var counters = new BackpressureCounters();
        var e = (Rx.Backpressure.Core.BackpressureEnumerator<int>)subject.LatestByKey(x => x % 5000, 1_000_000, scheduler: scheduler, counters: counters).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(-1);   // handed to the waiting consumer
        Assert.That(first.GetAwaiter().GetResult(), Is.True);
        for (int i = 0; i < 20_000; i++)
        {
            subject.OnNext(i);
        }

        Assert.That(counters.Buffered, Is.EqualTo(5000), "one value per key");
        Assert.That(e.AllocatedSlots, Is.InRange(5000, 2 * 5000));
        Assert.That(counters.DroppedBy(DropReason.Replaced), Is.EqualTo(15_000));

        for (int i = 0; i < 5000; i++)
        {
            ValueTask<bool> next = e.MoveNextAsync();
            Assert.That(next.IsCompletedSuccessfully && next.Result, Is.True);
            Assert.That(e.Current, Is.EqualTo(15_000 + i), "keys in first-arrival order, each with its latest value");
        }

        Assert.That(e.AllocatedSlots, Is.Zero, "large storage is released once drained");
    }

    [Test]
    public async Task LatestByKey_SteadyStateWithABoundedKeySet_AllocatesNothingPerItem()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<string>();
        string[] keys = [.. Enumerable.Range(0, 64).Select(i => $"sensor-{i}")];
        await using IAsyncEnumerator<string> e = subject.LatestByKey(k => k, 128, scheduler: scheduler).GetAsyncEnumerator();
        ValueTask<bool> pending = e.MoveNextAsync();

        void Round()
        {
            for (int i = 0; i < 10_000; i++)
            {
                subject.OnNext(keys[i % 64]);

                // A consumer taking a value after every third arrival (resumed synchronously, as under virtual time).
                if (i % 3 == 0 && pending.IsCompleted)
                {
                    pending.GetAwaiter().GetResult();
                    pending = e.MoveNextAsync();
                }
            }
        }

        Round();   // warm up: storage grows to the key set, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        Round();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero, "bytes allocated for 10,000 arrivals in steady state");
    }

    [Test]
    public async Task LatestByKey_ANewKeyDroppedForLackOfRoom_LeavesNothingOfItReferenced()
    {
        // The key is computed once per arrival and kept for the store that follows; an arrival that is dropped instead
        // must not leave its key referenced by the buffer.
        var subject = new Subject<Keyed>();
        await using IAsyncEnumerator<Keyed> e = subject.LatestByKey(x => x.Key, 1, BufferOverflow.DropIncoming).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(new Keyed(new object()));
        Assert.That(await first, Is.True);
        subject.OnNext(new Keyed(new object()));   // held: the one slot
        WeakReference droppedKey = PushNewKey(subject);   // a new key, no room: dropped

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.That(droppedKey.IsAlive, Is.False, "the dropped arrival's key is not kept");
    }

    private static IAsyncEnumerable<int> Apply(TestSource xs, bool pullShape, int capacity, BufferOverflow overflow, DropRecorder<int> drops, TestScheduler scheduler, BackpressureCounters? counters = null) =>
        pullShape
            ? xs.AsyncEnumerable.LatestByKey(x => x / 10, capacity, overflow, drops.Add, scheduler: scheduler, counters: counters)
            : xs.Observable.LatestByKey(x => x / 10, capacity, overflow, drops.Add, scheduler: scheduler, counters: counters);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference PushNewKey(Subject<Keyed> subject)
    {
        var key = new object();
        subject.OnNext(new Keyed(key));
        return new WeakReference(key);
    }

    private sealed record Keyed(object Key);

    private sealed class ThrowingComparer(int poison, Exception ex) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => x == y;

        public int GetHashCode(int obj) => obj == poison ? throw ex : obj;
    }
}
