using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Tests;

public sealed class PressureGateTests : ReactiveTest
{
    [Test]
    public void PressureGate_IsOpenInitially()
    {
        var gate = new PressureGate();
        Assert.That(gate.IsPressured, Is.False);
        Assert.That(gate.WaitAsync().AsTask().IsCompletedSuccessfully, Is.True);
        gate.Wait();
    }

    [Test]
    public void PressureGate_WaitAsync_CompletesWhenPressureTurnsOff()
    {
        var gate = new PressureGate(synchronousContinuations: true);
        gate.OnNext(true);
        gate.OnNext(true);
        Task wait = gate.WaitAsync().AsTask();

        Assert.That(gate.IsPressured, Is.True);
        Assert.That(wait.IsCompleted, Is.False);
        gate.OnNext(false);
        Assert.That(wait.IsCompletedSuccessfully, Is.True);
        Assert.That(gate.IsPressured, Is.False);
    }

    [Test]
    public void PressureGate_WaitAsync_IsCancellable()
    {
        var gate = new PressureGate(synchronousContinuations: true);
        gate.OnNext(true);
        using var cts = new CancellationTokenSource();
        Task wait = gate.WaitAsync(cts.Token).AsTask();

        cts.Cancel();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PressureGate_Wait_ThrowsWhenCancelled()
    {
        var gate = new PressureGate();
        gate.OnNext(true);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.That(() => gate.Wait(cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PressureGate_CompletionOpensTheGate([Values(false, true)] bool error)
    {
        var gate = new PressureGate(synchronousContinuations: true);
        gate.OnNext(true);
        Task wait = gate.WaitAsync().AsTask();

        if (error)
        {
            gate.OnError(new InvalidOperationException());
        }
        else
        {
            gate.OnCompleted();
        }

        Assert.That(wait.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task PressureGate_SharedByTwoEnumerations_StaysShutWhileEitherIsPressured()
    {
        var scheduler = new TestScheduler();
        var gate = new PressureGate(synchronousContinuations: true);
        var a = new Subject<int>();
        var b = new Subject<int>();
        await using IAsyncEnumerator<int> ea = a.ThrottleOnPressure(2, 0, gate, scheduler: scheduler).GetAsyncEnumerator();
        await using IAsyncEnumerator<int> eb = b.ThrottleOnPressure(2, 0, gate, scheduler: scheduler).GetAsyncEnumerator();
        await StartAsync(ea, a);
        await StartAsync(eb, b);

        a.OnNext(1);
        a.OnNext(2);
        b.OnNext(1);
        b.OnNext(2);
        Assert.That(gate.IsPressured, Is.True);

        await ea.MoveNextAsync();
        await ea.MoveNextAsync();
        Task wait = gate.WaitAsync().AsTask();
        Assert.That(gate.IsPressured, Is.True, "a drained, b still pressured");
        Assert.That(wait.IsCompleted, Is.False);

        await eb.MoveNextAsync();
        await eb.MoveNextAsync();
        Assert.That(gate.IsPressured, Is.False);
        Assert.That(wait.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task PressureGate_SharedByTwoEnumerations_OneStopping_LeavesItShutForTheOther()
    {
        var scheduler = new TestScheduler();
        var gate = new PressureGate(synchronousContinuations: true);
        var a = new Subject<int>();
        var b = new Subject<int>();
        IAsyncEnumerator<int> ea = a.ThrottleOnPressure(1, 0, gate, scheduler: scheduler).GetAsyncEnumerator();
        IAsyncEnumerator<int> eb = b.ThrottleOnPressure(1, 0, gate, scheduler: scheduler).GetAsyncEnumerator();
        await StartAsync(ea, a);
        await StartAsync(eb, b);
        a.OnNext(1);
        b.OnNext(1);

        await ea.DisposeAsync();
        Assert.That(gate.IsPressured, Is.True, "b is still pressured");

        await eb.DisposeAsync();
        Assert.That(gate.IsPressured, Is.False, "every enumeration ended");
    }

    [Test]
    [Category("RealThreads")]
    [CancelAfter(120_000)]
    public async Task PressureGate_OffDecidedWhileAnotherThreadPublishesOn_ThenDispose_NeverLeftShut()
    {
        // The producer's push decides "on"; at the same moment the consumer reads (deciding "off") and disposes.
        // Whatever the interleaving of decisions, publications and the stop, the gate must end open.
        int shut = 0;
        for (int i = 0; i < 3_000; i++)
        {
            var gate = new PressureGate();
            var subject = new Subject<int>();
            var counters = new BackpressureCounters();
            IAsyncEnumerator<int> e = subject.ThrottleOnPressure(1, 0, gate, capacity: 100, overflow: BufferOverflow.DropIncoming, counters: counters).GetAsyncEnumerator();
            ValueTask<bool> first = e.MoveNextAsync();
            subject.OnNext(0);
            await first;

            Task producer = Task.Run(() => subject.OnNext(1));
            Task consumer = Task.Run(async () =>
            {
                SpinWait.SpinUntil(() => counters.Received == 2);
                if ((i & 1) == 0)
                {
                    await e.MoveNextAsync();
                }

                await e.DisposeAsync();
            });
            await Task.WhenAll(producer, consumer);

            if (gate.IsPressured || !gate.WaitAsync().IsCompleted)
            {
                shut++;
            }
        }

        Assert.That(shut, Is.Zero, "runs that left the gate shut");
    }

    [Test]
    public void ThrottleOnPressure_PlainObserver_ReentrantBurstFromTheOffCallback_StopsAtTheHighWatermark()
    {
        // A producer that pushes from inside the observer's OnNext(false): the "on" its burst decides is published
        // nested, before the push that caused it returns (as a Subject would), so the burst stops at the high
        // watermark. Capacity == high: one push more would overflow with BufferOverflow.Error.
        var scheduler = new TestScheduler();
        var counters = new BackpressureCounters();
        var subject = new Subject<int>();
        var published = new List<bool>();
        bool paused = false;
        int next = 1;

        void Produce()
        {
            while (!paused && next <= 50)
            {
                subject.OnNext(next++);
            }

            if (next == 51)
            {
                next++;
                subject.OnCompleted();
            }
        }

        var pressure = Observer.Create<bool>(on =>
        {
            published.Add(on);
            paused = on;
            if (!on)
            {
                Produce();
            }
        });

        scheduler.ScheduleAbsolute(205, () => Produce());
        var res = scheduler.StartPull(() => subject.ThrottleOnPressure(4, 1, pressure, capacity: 4, overflow: BufferOverflow.Error, scheduler: scheduler, counters: counters), 10, disposed: 10_000);

        Assert.That(res.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value), Is.EqualTo(Enumerable.Range(1, 50)), "lossless, no overflow");
        Assert.That(res.Messages[^1].Value.Kind, Is.EqualTo(NotificationKind.OnCompleted));
        Assert.That(counters.PeakBuffered, Is.EqualTo(4));
        Assert.That(published.Zip(published.Skip(1), (x, y) => x != y), Has.All.True, "transitions alternate, never duplicated");
    }

    private static async Task StartAsync(IAsyncEnumerator<int> e, Subject<int> subject)
    {
        ValueTask<bool> first = e.MoveNextAsync();
        subject.OnNext(0);
        Assert.That(await first, Is.True);
    }
}
