using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// Nothing is left behind after completion, error, dispose or cancellation: the source subscription or enumerator
/// is disposed, no timer stays scheduled, the pump has ended, and the enumerator and its buffer can be collected.
/// </summary>
[Category("Reliability")]
public sealed class CleanupTests : ReactiveTest
{
    private static long _races;

    public enum Ending
    {
        Completed,
        Error,
        Disposed,
        Cancelled,
    }

    public static long Races => Interlocked.Read(ref _races);

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (OperatorCase c in OperatorCase.All.Concat(LongPeriodCases()))
        {
            foreach (Ending ending in Enum.GetValues<Ending>())
            {
                yield return new TestCaseData(c, ending).SetArgDisplayNames(c.Name, ending.ToString());
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Cleanup_AfterEveryEnding_NothingIsLeftBehind(OperatorCase operatorCase, Ending ending)
    {
        var scheduler = new InspectableScheduler();
        var messages = new List<Microsoft.Reactive.Testing.Recorded<System.Reactive.Notification<int>>>
        {
            OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4),
        };
        if (ending == Ending.Completed)
        {
            messages.Add(OnCompleted<int>(220));
        }
        else if (ending == Ending.Error)
        {
            messages.Add(OnError<int>(220, new InvalidOperationException()));
        }

        var xs = new TestSource(scheduler, operatorCase.IsPull, [.. messages]);
        var drops = new DropRecorder<int>(scheduler);
        using var cts = new CancellationTokenSource();
        WeakReference enumerator = Run(scheduler, operatorCase, xs, drops, cts, ending, out Task disposal);

        Assert.That(disposal.IsCompletedSuccessfully, Is.True, "DisposeAsync finished: the pump ended and the source enumerator was disposed");
        Assert.That(xs.Subscriptions, Has.Count.EqualTo(1));
        Assert.That(xs.Subscriptions[0].Unsubscribe, Is.Not.EqualTo(Subscription.Infinite), "the source subscription was disposed");
        Assert.That(scheduler.HasPendingWork, Is.False, "no timer is left on the scheduler");

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.That(enumerator.IsAlive, Is.False, "the enumerator and its buffer are collectable");
    }

    [Test]
    public async Task Cleanup_CancellationRacingArrivals_NeverHangs_NeverNullReference_AlwaysCanceled([Values(0, 1, 8)] int capacity)
    {
        const int Attempts = 10_000;
        for (int i = 0; i < Attempts; i++)
        {
            Interlocked.Increment(ref _races);
            var subject = new Subject<int>();
            using var cts = new CancellationTokenSource();
            var e = subject.DropWhenFull(capacity).GetAsyncEnumerator(cts.Token);
            var pending = e.MoveNextAsync().AsTask();
            var arrive = Task.Run(() => subject.OnNext(i));
            var cancel = Task.Run(cts.Cancel);
            await Task.WhenAll(arrive, cancel);

            Exception? outcome = null;
            try
            {
                if (await pending.WaitAsync(TimeSpan.FromSeconds(30)))
                {
                    await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                }
            }
            catch (Exception ex)
            {
                outcome = ex;
            }

            Assert.That(outcome, Is.InstanceOf<OperationCanceledException>(), $"attempt {i}");
            await e.DisposeAsync();
            Assert.That(subject.HasObservers, Is.False, $"attempt {i}: the subscription was disposed");
        }
    }

    private static IEnumerable<OperatorCase> LongPeriodCases()
    {
        yield return OperatorCase.Push("Bridge.SampleWhenFull(period 5000)", (s, d, sch, c) => s.SampleWhenFull(1, TimeSpan.FromTicks(5000), d, sch, c));
        yield return OperatorCase.Pull("Pull.SampleWhenFull(period 5000)", (s, d, sch, c) => s.SampleWhenFull(1, TimeSpan.FromTicks(5000), d, sch, c), false);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Run(InspectableScheduler scheduler, OperatorCase operatorCase, TestSource xs, DropRecorder<int> drops, CancellationTokenSource cts, Ending ending, out Task disposal)
    {
        var sequence = operatorCase.Apply(xs, drops.Add, scheduler);
        IAsyncEnumerator<int>? e = null;
        Task? dispose = null;
        var weak = new WeakReference(null);

        scheduler.ScheduleAbsolute(200, () =>
        {
            e = sequence.GetAsyncEnumerator(cts.Token);
            weak.Target = e;
            _ = e.MoveNextAsync().AsTask();
        });

        // The consumer reads one item every 50 ticks, so items are still buffered at the end.
        for (long t = 250; t < 400; t += 50)
        {
            scheduler.ScheduleAbsolute(t, () =>
            {
                try
                {
                    _ = e!.MoveNextAsync().AsTask();
                }
                catch (InvalidOperationException)
                {
                    // The previous read is still pending.
                }
            });
        }

        scheduler.ScheduleAbsolute(400, () =>
        {
            if (ending == Ending.Cancelled)
            {
                cts.Cancel();
            }
        });
        scheduler.ScheduleAbsolute(ending == Ending.Cancelled ? 450 : ending == Ending.Disposed ? 400 : 600, () => dispose = e!.DisposeAsync().AsTask());
        scheduler.AdvanceToWithoutSynchronizationContext(1000);

        disposal = dispose!;
        e = null;
        return weak;
    }

    /// <summary>A TestScheduler that tells whether anything is still scheduled.</summary>
    private sealed class InspectableScheduler : TestScheduler
    {
        public bool HasPendingWork => GetNext() is not null;
    }
}
