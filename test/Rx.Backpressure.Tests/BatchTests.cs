using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

public sealed class BatchTests : ReactiveTest
{
    [Test]
    public void Batch_ArgumentChecking()
    {
        Assert.That(() => AsyncEnumerableBackpressure.Batch<int>(null!, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => AsyncEnumerable.Range(1, 3).Batch(0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("maxSize"));
        Assert.That(AsyncEnumerable.Range(1, 3).Batch(1), Is.Not.Null);
    }

    [Test]
    public void Batch_OverAnOperator_TakesWhatHasAccumulated_NeverWaitsToFill([Values(false, true)] bool pullShape)
    {
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        Recorded<System.Reactive.Notification<int>>[] messages = [.. Enumerable.Range(1, 10).Select(i => OnNext(210, i)), OnNext(250, 11), OnCompleted<int>(300)];
        var hot = scheduler.CreateHotObservable(messages);
        var cold = scheduler.CreateColdAsyncEnumerable([.. messages.Select(m => new Recorded<System.Reactive.Notification<int>>(m.Time - 200, m.Value))]);

        var res = scheduler.StartPull(
            () => (pullShape ? cold.DropWhenFull(16, drops.Add, scheduler) : hot.DropWhenFull(16, drops.Add, scheduler)).Batch(4),
            10);

        // 1 goes to the waiting consumer and is a batch of its own (the rest had not arrived yet); then what has
        // accumulated, 4 at most; 11 arrives alone at 250 to a waiting consumer.
        Assert.That(Describe(res), Is.EqualTo(new[] { "210:[1]", "220:[2,3,4,5]", "230:[6,7,8,9]", "240:[10]", "250:[11]", "300:C" }));
        Assert.That(drops.Items, Is.Empty);
    }

    [Test]
    public void Batch_OverAnOperator_LeavesNoReadPendingBehindABatch()
    {
        // Capacity 0: only a waiting consumer can take an item. While the consumer processes a batch it is not waiting,
        // so 2 and 3 are dropped by the operator's policy — a hidden pending MoveNextAsync would have captured one.
        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(212, 2), OnNext(214, 3), OnNext(230, 4), OnCompleted<int>(300));

        var res = scheduler.StartPull(() => xs.DropWhenFull(0, drops.Add, scheduler).Batch(8), 10);

        Assert.That(Describe(res), Is.EqualTo(new[] { "210:[1]", "230:[4]", "300:C" }));
        Assert.That(drops.Items.Select(d => d.Value), Is.EqualTo(new[] { 2, 3 }));
    }

    [Test]
    public void Batch_OverAnOperator_ErrorAndEndComeAfterTheItems([Values(false, true)] bool error)
    {
        var scheduler = new TestScheduler();
        var ex = new InvalidOperationException("source");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), error ? OnError<int>(213, ex) : OnCompleted<int>(213));

        var res = scheduler.StartPull(() => xs.BufferBounded(8, scheduler: scheduler).Batch(8), 10);

        Assert.That(Describe(res), Is.EqualTo(new[] { "210:[1]", "220:[2,3]", error ? "230:E(source)" : "230:C" }));
    }

    [Test]
    public async Task Batch_OverAnOperator_ABatchAvailableNow_CompletesSynchronously()
    {
        var subject = new System.Reactive.Subjects.Subject<int>();
        await using IAsyncEnumerator<IReadOnlyList<int>> e = subject.BufferBounded(100, BufferOverflow.DropOldest).Batch(64).GetAsyncEnumerator();
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(0);
        Assert.That(await first, Is.True);
        for (int i = 1; i <= 100; i++)
        {
            subject.OnNext(i);
        }

        ValueTask<bool> next = e.MoveNextAsync();
        Assert.That(next.IsCompletedSuccessfully, Is.True, "taken at once, under one acquisition of the buffer's lock");
        Assert.That(await next, Is.True);
        Assert.That(e.Current, Is.EqualTo(Enumerable.Range(1, 64)));
        Assert.That(await e.MoveNextAsync(), Is.True);
        Assert.That(e.Current, Is.EqualTo(Enumerable.Range(65, 36)));
    }

    [Test]
    public async Task Batch_AnySequence_TakesWhatCompletesSynchronously_InOrder([Values(1, 3, 7, 100)] int maxSize)
    {
        var batches = new List<IReadOnlyList<int>>();
        await foreach (IReadOnlyList<int> batch in AsyncEnumerable.Range(1, 20).Batch(maxSize))
        {
            batches.Add(batch);
        }

        Assert.That(batches.SelectMany(b => b), Is.EqualTo(Enumerable.Range(1, 20)));
        Assert.That(batches.Take(batches.Count - 1), Has.All.Count.EqualTo(Math.Min(maxSize, 20)), "a synchronous source fills every batch but the last");
    }

    [Test]
    public void Batch_AnySequence_ACallThatDoesNotCompleteAtOnceStartsTheNextBatch()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(OnNext(10, 1), OnNext(10, 2), OnNext(10, 3), OnNext(20, 4), OnNext(20, 5), OnCompleted<int>(30));

        var res = scheduler.StartPull(() => xs.Batch(10), 0);

        Assert.That(Describe(res), Is.EqualTo(new[] { "210:[1,2,3]", "220:[4,5]", "230:C" }));
    }

    [Test]
    public async Task Batch_AnySequence_AnErrorComesAfterTheItemsTakenBeforeIt()
    {
        var ex = new InvalidOperationException("boom");
        var batches = new List<IReadOnlyList<int>>();
        Exception? caught = null;
        try
        {
            await foreach (IReadOnlyList<int> batch in Failing(ex).Batch(10))
            {
                batches.Add(batch);
            }
        }
        catch (InvalidOperationException e)
        {
            caught = e;
        }

        Assert.That(batches.SelectMany(b => b), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(caught, Is.SameAs(ex));

        static async IAsyncEnumerable<int> Failing(Exception ex)
        {
            yield return 1;
            yield return 2;
            yield return 3;
            await Task.CompletedTask;
            throw ex;
        }
    }

    [Test]
    [Category("RealThreads")]
    [CancelAfter(60_000)]
    public async Task Batch_RacingEvictions_EachItemDeliveredOrEvictedOnce_InOrder_CountersAgree(
        [Values(2, 64, 65, 1000)] int capacity, [Values(1, 7, 256)] int maxSize)
    {
        // A batch takes the consumer's span and storage's oldest in one go under the lock, while the producer evicts
        // the oldest (DropOldest) at every arrival into a full buffer: nothing is delivered twice, lost or reordered,
        // and the counters count each batch as what it holds.
        const int Items = 100_000;
        var subject = new System.Reactive.Subjects.Subject<int>();
        var evicted = new List<int>();
        var counters = new BackpressureCounters();
        var delivered = new List<int>();
        var consumer = Task.Run(async () =>
        {
            var random = new Random((capacity * 31) + maxSize);
            await foreach (IReadOnlyList<int> batch in subject.BufferBounded(capacity, BufferOverflow.DropOldest, evicted.Add, counters: counters).Batch(maxSize))
            {
                Assert.That(batch.Count, Is.InRange(1, maxSize));
                delivered.AddRange(batch);
                if (random.Next(4) == 0)
                {
                    Thread.SpinWait(random.Next(2_000));
                }
            }
        });
        await subject.WaitForSubscription();
        await Task.Run(() =>
        {
            for (int i = 0; i < Items; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await consumer;

        Assert.That(delivered, Is.Ordered.Ascending.And.Unique, "in order, never twice");
        Assert.That(evicted, Is.Ordered.Ascending.And.Unique);
        Assert.That(delivered.Intersect(evicted), Is.Empty, "never both delivered and evicted");
        Assert.That(delivered.Count + evicted.Count, Is.EqualTo(Items), "every item delivered or evicted");
        Assert.That(counters.Delivered, Is.EqualTo(delivered.Count));
        Assert.That(counters.Buffered, Is.Zero);
    }

    [Test]
    public void Batch_TheConsumersTokenFlowsToTheSource([Values(false, true)] bool ourOperator)
    {
        CancellationToken seen = default;
        IAsyncEnumerable<int> source = Capture(t => seen = t);
        using var cts = new CancellationTokenSource();

        IAsyncEnumerable<IReadOnlyList<int>> batched = ourOperator ? source.BufferBounded(4).Batch(2) : source.Batch(2);
        Assert.That(async () =>
        {
            await foreach (var batch in batched.WithCancellation(cts.Token))
            {
                Assert.That(batch, Is.Not.Empty);
                await cts.CancelAsync();
            }
        }, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(seen.CanBeCanceled, Is.True);

        static async IAsyncEnumerable<int> Capture(Action<CancellationToken> capture, [EnumeratorCancellation] CancellationToken token = default)
        {
            capture(token);
            for (int i = 0; ; i++)
            {
                token.ThrowIfCancellationRequested();
                yield return i;
                await Task.Yield();
            }
        }
    }

    private static string[] Describe(ITestableObserver<IReadOnlyList<int>> res) =>
        [.. res.Messages.Select(m => m.Value.Kind switch
        {
            System.Reactive.NotificationKind.OnNext => $"{m.Time}:[{string.Join(",", m.Value.Value)}]",
            System.Reactive.NotificationKind.OnCompleted => $"{m.Time}:C",
            _ => $"{m.Time}:E({m.Value.Exception!.Message})",
        })];
}
