using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// A stop (the consumer's cancellation or dispose) meeting work another thread is doing, with that work held open so
/// the race is met every time:
/// <list type="bullet">
/// <item>An end decided by the source is answered to a waiting reader only after the upstream's disposal, outside the
/// lock. A stop that comes in between is later than the end: the waiting read gets the end, exactly as if it had been
/// answered before the stop. (The linearizability suite found this once in a few thousand schedules.)</item>
/// <item>A cancellation's stop reports the left-overs on the cancelling thread. <c>DisposeAsync</c> meanwhile waits
/// for it: nothing of the cancellation runs after it returns, and what <c>onDropped</c> threw is thrown from it.</item>
/// </list>
/// </summary>
[Category("Reliability")]
[CancelAfter(30_000)]
public sealed class StopRaceTests
{
    public static IEnumerable<TestCaseData> Operators()
    {
        yield return Case("BufferBounded(4)", (s, d) => s.BufferBounded(4, onDropped: d));
        yield return Case("DropWhenFull(4)", (s, d) => s.DropWhenFull(4, onDropped: d));
        yield return Case("SampleWhenFull(4)", (s, d) => s.SampleWhenFull(4, onDropped: d));
        yield return Case("ThrottleOnPressure(4, 2)", (s, d) => s.ThrottleOnPressure(4, 2, onDropped: d));
        yield return Case("LatestByKey(4)", (s, d) => s.LatestByKey(x => x, 4, onDropped: d));

        static TestCaseData Case(string name, Func<IObservable<int>, Action<int>, IAsyncEnumerable<int>> apply) =>
            new TestCaseData(apply).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Operators))]
    public async Task AnEndBeingSettled_AnswersTheWaitingRead_WhenTheConsumerCancelsMeanwhile(Func<IObservable<int>, Action<int>, IAsyncEnumerable<int>> apply)
    {
        foreach (bool fails in new[] { false, true })
        {
            var failure = new InvalidOperationException("source failed");
            IObserver<int>? source = null;
            using var disposing = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            var upstream = Observable.Create<int>(observer =>
            {
                source = observer;
                return Disposable.Create(() =>
                {
                    disposing.Set();
                    release.Wait(TimeSpan.FromSeconds(10)); // bounded: a failing assertion must not hang the run
                });
            });
            var dropped = new ConcurrentQueue<int>();
            using var cancellation = new CancellationTokenSource();
            await using var enumerator = apply(upstream, dropped.Enqueue).GetAsyncEnumerator(cancellation.Token);

            ValueTask<bool> read = enumerator.MoveNextAsync();
            Assert.That(read.IsCompleted, Is.False, "nothing arrived: the read waits");

            // The end is decided, then its thread disposes the upstream, which holds it there.
            Task ending = Task.Run(() =>
            {
                if (fails)
                {
                    source!.OnError(failure);
                }
                else
                {
                    source!.OnCompleted();
                }
            });
            Assert.That(disposing.Wait(10_000), Is.True);

            // The consumer cancels inside that window; the cancellation's stop runs here, to its end.
            cancellation.Cancel();
            Assert.That(read.IsCompleted, Is.False, "the waiting read belongs to the end decided before the stop");

            release.Set();
            await ending;
            if (fails)
            {
                Assert.That(async () => await read, Throws.Exception.SameAs(failure), "the source's error, as if it had been answered before the stop");
            }
            else
            {
                Assert.That(await read, Is.False, "the end of the sequence, as if it had been answered before the stop");
            }

            Assert.That(dropped, Is.Empty, "nothing was held, nothing reported");
        }
    }

    [TestCaseSource(nameof(Operators))]
    public async Task DisposeAsync_WhileACancellationReportsTheLeftOvers_WaitsForIt_ThenThrowsWhatOnDroppedThrew(Func<IObservable<int>, Action<int>, IAsyncEnumerable<int>> apply)
    {
        var subject = new Subject<int>();
        var failure = new InvalidOperationException("onDropped");
        var dropped = new ConcurrentQueue<int>();
        using var reporting = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        void OnDropped(int item)
        {
            dropped.Enqueue(item);
            if (dropped.Count == 1)
            {
                reporting.Set();
                release.Wait(TimeSpan.FromSeconds(10)); // bounded: a failing assertion must not hang the run
                throw failure;
            }
        }

        using var cancellation = new CancellationTokenSource();
        var enumerator = apply(subject, OnDropped).GetAsyncEnumerator(cancellation.Token);
        await TakeOneThenHoldTwo(subject, enumerator);

        // The cancellation's stop reports 2 and 3 on its own thread, and is held inside onDropped.
        Task cancelling = Task.Run(cancellation.Cancel);
        Assert.That(reporting.Wait(10_000), Is.True);

        Task disposing = enumerator.DisposeAsync().AsTask();
        Assert.That(disposing.IsCompleted, Is.False, "DisposeAsync waits for the cancellation's reports");

        release.Set();
        Assert.That(async () => await disposing, Throws.Exception.SameAs(failure), "what onDropped threw during the cancellation");
        Assert.That(dropped, Is.EqualTo(new[] { 2, 3 }), "every left-over reported before DisposeAsync returned");
        await cancelling;
    }

    [Test]
    public async Task DisposeAsync_FromOnDropped_DuringTheCancellationsReports_DoesNotWaitForItself()
    {
        var subject = new Subject<int>();
        var dropped = new List<int>();
        IAsyncEnumerator<int>? enumerator = null;
        using var cancellation = new CancellationTokenSource();
        enumerator = subject.BufferBounded(8, onDropped: item =>
        {
            dropped.Add(item);
            enumerator!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }).GetAsyncEnumerator(cancellation.Token);
        await TakeOneThenHoldTwo(subject, enumerator);

        Task cancelling = Task.Run(cancellation.Cancel);
        Assert.That(async () => await cancelling.WaitAsync(TimeSpan.FromSeconds(10)), Throws.Nothing, "no deadlock");
        Assert.That(dropped, Is.EqualTo(new[] { 2, 3 }));
        await enumerator.DisposeAsync();
    }

    /// <summary>Delivers 1 to the consumer, then leaves 2 and 3 held: what a stop then reports.</summary>
    private static async Task TakeOneThenHoldTwo(Subject<int> subject, IAsyncEnumerator<int> enumerator)
    {
        ValueTask<bool> first = enumerator.MoveNextAsync();
        subject.OnNext(1);
        Assert.That(await first, Is.True);
        subject.OnNext(2);
        subject.OnNext(3);
    }
}
