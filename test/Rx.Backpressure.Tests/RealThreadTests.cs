using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

/// <summary>The defaults without a scheduler: real threads, bounded run time, no timing assertions.</summary>
[Category("RealThreads")]
[CancelAfter(30_000)]
public sealed class RealThreadTests
{
    [ThreadStatic]
    private static bool _insideOnNext;

    [Test]
    public async Task Default_ProducerOnNext_DoesNotRunTheConsumerOnItsStack([Values(0, 4)] int capacity)
    {
        var subject = new Subject<int>();
        var sawInsideOnNext = new List<bool>();
        var consumer = Task.Run(async () =>
        {
            await foreach (int x in subject.DropWhenFull(capacity))
            {
                sawInsideOnNext.Add(_insideOnNext);
            }
        });

        await WhenSubscribed(subject);
        await Task.Run(async () =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                _insideOnNext = true;
                subject.OnNext(i);
                _insideOnNext = false;
                if (i % 100 == 0)
                {
                    await Task.Yield();
                }
            }

            subject.OnCompleted();
        });
        await consumer;

        Assert.That(sawInsideOnNext, Is.Not.Empty);
        Assert.That(sawInsideOnNext, Has.None.True, "the consumer's loop body never ran inside the producer's OnNext");
    }

    [Test]
    public async Task Default_Bridge_EveryItemDeliveredOrDropped([Values(0, 1, 16)] int capacity)
    {
        const int Count = 200_000;
        var subject = new Subject<int>();
        var counters = new BackpressureCounters();
        long dropped = 0;
        var delivered = new List<int>();
        var sequence = subject.DropWhenFull(capacity, _ => Interlocked.Increment(ref dropped), counters: counters);

        var consumer = Task.Run(async () =>
        {
            await foreach (int x in sequence)
            {
                delivered.Add(x);
            }
        });
        while (counters.Received == 0 && !consumer.IsCompleted)
        {
            subject.OnNext(-1);
            await Task.Yield();
        }

        long warmup = counters.Received;
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < Count; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await Task.WhenAll(producer, consumer);

        Assert.That(delivered.Count + Interlocked.Read(ref dropped), Is.EqualTo(counters.Received));
        Assert.That(counters.Delivered, Is.EqualTo(delivered.Count));
        Assert.That(counters.Dropped, Is.EqualTo(Interlocked.Read(ref dropped)));
        Assert.That(counters.Received, Is.LessThanOrEqualTo(Count + warmup));
        Assert.That(delivered.Where(x => x >= 0), Is.Ordered.Ascending, "order is kept");
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(capacity));
    }

    [Test]
    public async Task Default_PullWait_IsLosslessAndOrdered()
    {
        const int Count = 100_000;
        var counters = new BackpressureCounters();
        var result = new List<int>(Count);

        await foreach (int x in AsyncEnumerable.Range(0, Count).BufferBounded(64, counters: counters))
        {
            result.Add(x);
        }

        Assert.That(result, Is.EqualTo(Enumerable.Range(0, Count)));
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(64));
        Assert.That(counters.Dropped, Is.Zero);
    }

    [Test]
    public async Task Default_PullThrottle_IsLosslessAndBounded()
    {
        const int Count = 50_000;
        var counters = new BackpressureCounters();
        int pressureOn = 0;
        var pressure = System.Reactive.Observer.Create<bool>(on => pressureOn += on ? 1 : 0);
        long sum = 0;

        await foreach (int x in AsyncEnumerable.Range(0, Count).ThrottleOnPressure(32, 8, pressure, counters: counters))
        {
            sum += x;
        }

        Assert.That(sum, Is.EqualTo((long)Count * (Count - 1) / 2));
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(32));
        Assert.That(counters.PressureOnCount, Is.EqualTo(pressureOn));
    }

    [Test]
    public async Task Default_CooperativeProducer_NeverPushesPastTheHighWatermark([Values(false, true)] bool slowConsumer)
    {
        // capacity == highWatermark and Error: one item past the watermark would fail the sequence. The producer sees
        // "on" the moment its own push decides it, even while another thread is still publishing an earlier "off".
        const int Count = 100_000;
        var subject = new Subject<int>();
        var gate = new PressureGate();
        var counters = new BackpressureCounters();
        long received = 0;
        var consumer = Task.Run(async () =>
        {
            await foreach (int x in subject.ThrottleOnPressure(16, 4, gate, capacity: 16, counters: counters))
            {
                received++;
                if (slowConsumer)
                {
                    Thread.SpinWait(100);
                }
            }
        });
        await WhenSubscribed(subject);

        await Task.Run(async () =>
        {
            for (int i = 0; i < Count; i++)
            {
                await gate.WaitAsync();
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await consumer;

        Assert.That(received, Is.EqualTo(Count));
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(16));
        Assert.That(counters.Dropped, Is.Zero);
    }

    [Test]
    public async Task Default_SampleWithPeriod_RealTimer_DeliversTheLastValue()
    {
        var subject = new Subject<int>();
        var seen = new List<int>();
        var consumer = Task.Run(async () =>
        {
            await foreach (int x in subject.SampleWhenFull(0, TimeSpan.FromMilliseconds(5)))
            {
                seen.Add(x);
                await Task.Yield();
            }
        });
        await WhenSubscribed(subject);
        for (int i = 0; i < 10_000; i++)
        {
            subject.OnNext(i);
        }

        subject.OnCompleted();
        await consumer;

        Assert.That(seen, Is.Ordered.Ascending.And.Unique);
        Assert.That(seen[^1], Is.EqualTo(9_999), "the last value is never lost");
    }

    [Test]
    public async Task Default_CancellationRacingArrivals_AlwaysOperationCanceled()
    {
        for (int round = 0; round < 200; round++)
        {
            var subject = new Subject<int>();
            using var cts = new CancellationTokenSource();
            var received = new BackpressureCounters();
            long dropped = 0;
            var sequence = subject.BufferBounded(8, BufferOverflow.DropOldest, _ => Interlocked.Increment(ref dropped), counters: received);
            var consumer = Task.Run(async () =>
            {
                await foreach (int x in sequence.WithCancellation(cts.Token))
                {
                    _ = x;
                }
            });
            var producer = Task.Run(() =>
            {
                for (int i = 0; i < 2_000; i++)
                {
                    subject.OnNext(i);
                }
            });
            cts.CancelAfter(round % 3);
            await producer;
            cts.Cancel();

            Assert.That(async () => await consumer, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(received.Delivered + received.Dropped, Is.EqualTo(received.Received), $"round {round}");
            Assert.That(Interlocked.Read(ref dropped), Is.EqualTo(received.Dropped));
        }
    }

    private static async Task WhenSubscribed<T>(Subject<T> subject)
    {
        while (!subject.HasObservers)
        {
            await Task.Yield();
        }
    }
}
