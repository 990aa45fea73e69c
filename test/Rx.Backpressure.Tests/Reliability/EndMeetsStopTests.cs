using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// An end decided by the source (completion or error) is answered to a waiting reader only after the upstream's
/// disposal, outside the lock. A stop (the consumer's cancellation) that comes in between is later than the end: the
/// waiting read gets the end, exactly as if the end had been answered before the stop, and nothing is reported twice.
/// The linearizability suite found this race once in a few thousand schedules; here the disposal is held open so the
/// stop always lands inside it.
/// </summary>
[Category("Reliability")]
[CancelAfter(30_000)]
public sealed class EndMeetsStopTests
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
                    release.Wait();
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
}
