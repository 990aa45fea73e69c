using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// The fast paths under real concurrency: the consumer's takes from its span (the oldest items, taken without the
/// buffer's gate) racing evictions, a pending sample, pressure and a stop; the pump's read-ahead; the lock-free
/// discard racing a metrics listener that starts listening. No item may be delivered twice, delivered and dropped,
/// lost, reordered, or held beyond the capacity.
/// </summary>
[Category("Reliability")]
[CancelAfter(120_000)]
public sealed class ConsumerSpanTests
{
    private const int Items = 30_000;

    [Test]
    public async Task SpanTakes_RaceEvictions_EachItemDeliveredOrEvictedOnce_InOrder(
        [Values(BufferOverflow.DropOldest, BufferOverflow.DropNewest)] BufferOverflow overflow,
        [Values(2, 4, 64, 65, 100)] int capacity)
    {
        // Capacity up to the span's length (64): a full span holds every item, so an eviction takes its victim from the span itself (the
        // newest too, when storage is empty). Above: the victim may be in the span or in storage.
        for (int round = 0; round < 4; round++)
        {
            var subject = new Subject<long>();
            var evicted = new List<long>();
            var counters = new BackpressureCounters();
            var sequence = subject.BufferBounded(capacity, overflow, evicted.Add, counters: counters);
            List<long> delivered = await Run(subject, sequence, round);

            AssertEachOnce(delivered, evicted, Items);
            Assert.That(delivered, Is.Ordered.Ascending, "delivered in source order");
            Assert.That(evicted, Is.Ordered.Ascending, "a single producer reports its evictions in order");
            Assert.That(counters.DroppedBy(DropReason.Evicted), Is.EqualTo(evicted.Count));
            Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(capacity));
            Assert.That(counters.Buffered, Is.Zero);
        }
    }

    [Test]
    public async Task SpanTakes_RaceThePendingSample_LatestWinsInOrder([Values(2, 4, 40)] int capacity, [Values(false, true)] bool periodic)
    {
        for (int round = 0; round < 4; round++)
        {
            var subject = new Subject<long>();
            var replaced = new ConcurrentQueue<long>();
            var counters = new BackpressureCounters();
            var sequence = subject.SampleWhenFull(capacity, periodic ? TimeSpan.FromMilliseconds(1) : null, replaced.Enqueue, counters: counters);
            List<long> delivered = await Run(subject, sequence, round);

            AssertEachOnce(delivered, [.. replaced], Items);
            Assert.That(delivered, Is.Ordered.Ascending, "a pending sample never overtakes or is overtaken");
            Assert.That(delivered[^1], Is.EqualTo(Items - 1), "the latest item is always delivered");
            Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(capacity + 1), "the capacity plus the pending sample");
        }
    }

    [Test]
    public async Task SpanTakes_RaceThePendingSample_ManyShortRuns_InOrder([Values(2, 4)] int capacity)
    {
        // The race this catches is narrow: the consumer frees a slot between a producer's first look at the room and
        // its decision, while a sample is pending. Many short runs, each starting from an empty buffer, meet it often.
        for (int round = 0; round < 1_500; round++)
        {
            var subject = new Subject<long>();
            var delivered = new List<long>();
            var random = new Random(round);
            int stopAfter = random.Next(1, 200);
            var consumer = Task.Run(async () =>
            {
                await foreach (long item in subject.SampleWhenFull(capacity))
                {
                    delivered.Add(item);
                    if (delivered.Count == stopAfter)
                    {
                        break;
                    }

                    if (random.Next(8) == 0)
                    {
                        Thread.SpinWait(random.Next(200));
                    }
                }
            });
            await subject.WaitForSubscription();
            await Task.Run(() =>
            {
                for (long i = 0; i < 3_000 && !consumer.IsCompleted; i++)
                {
                    subject.OnNext(i);
                }

                subject.OnCompleted();
            });
            await consumer;

            Assert.That(delivered, Is.Ordered.Ascending.And.Unique, $"round {round}: a pending sample never overtakes or is overtaken");
        }
    }

    [Test]
    public async Task SpanTakes_RacePressure_GateNeverStaysShut_NothingLost()
    {
        // A cooperative producer waits at the gate while pressure is on. The consumer turns pressure off from a take
        // it makes without the buffer's gate (or the producer's next arrival catches it up): the producer must never
        // hang, and nothing is dropped.
        for (int round = 0; round < 4; round++)
        {
            var subject = new Subject<long>();
            var gate = new PressureGate();
            var counters = new BackpressureCounters();
            var sequence = subject.ThrottleOnPressure(24, 4, gate, capacity: 64, counters: counters);
            var delivered = new List<long>();
            var consumer = Task.Run(async () =>
            {
                var random = new Random(round);
                await foreach (long item in sequence)
                {
                    delivered.Add(item);
                    if (random.Next(16) == 0)
                    {
                        Thread.SpinWait(random.Next(500));
                    }
                }
            });
            await subject.WaitForSubscription();
            await Task.Run(async () =>
            {
                for (long i = 0; i < Items; i++)
                {
                    await gate.WaitAsync();
                    subject.OnNext(i);
                }

                subject.OnCompleted();
            });
            await consumer;

            Assert.That(delivered, Is.EqualTo(Enumerable.Range(0, Items).Select(i => (long)i)), "lossless, in order");
            Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(24), "a cooperative producer stops at the high watermark");
        }
    }

    [Test]
    public async Task StopDuringSpanTakes_EachItemDeliveredOrReportedOnce([Values(false, true)] bool cancel, [Values(4, 64)] int capacity)
    {
        for (int round = 0; round < 40; round++)
        {
            var subject = new Subject<long>();
            var dropped = new ConcurrentQueue<long>();
            var counters = new BackpressureCounters();
            var sequence = subject.BufferBounded(capacity, BufferOverflow.DropIncoming, dropped.Enqueue, counters: counters);
            using var cts = new CancellationTokenSource();
            var delivered = new List<long>();
            int stopAfter = 1 + ((round * 37) % 300);
            var consumer = Task.Run(async () =>
            {
                try
                {
                    await foreach (long item in sequence.WithCancellation(cts.Token))
                    {
                        delivered.Add(item);
                        if (delivered.Count == stopAfter)
                        {
                            if (!cancel)
                            {
                                break;
                            }

                            // Cancelled from another thread while this one keeps taking from its span.
                            _ = Task.Run(cts.Cancel);
                        }
                    }
                }
                catch (OperationCanceledException) when (cancel)
                {
                }
            });
            await subject.WaitForSubscription();
            long produced = 0;
            for (; produced < Items && !consumer.IsCompleted; produced++)
            {
                subject.OnNext(produced);
            }

            subject.OnCompleted();
            await consumer;

            // A cancellation reports the left-overs on the cancelling thread; a read that arrives meanwhile waits for
            // the reports, so by the time the consumer has seen its OperationCanceledException every drop is reported.
            // Arrivals after the stop are reported too; those after the unsubscription never reach the operator.
            Assert.That(counters.Received, Is.LessThanOrEqualTo(produced));
            AssertEachOnce(delivered, [.. dropped], counters.Received);
            Assert.That(counters.Delivered, Is.EqualTo(delivered.Count));
            Assert.That(delivered, Is.Ordered.Ascending);
        }
    }

    [Test]
    public async Task PumpReadAhead_AWaitingConsumerGetsAnItemBeforeTheSourceAnswersAgain()
    {
        // The source answers the first reads at once, then makes the pump wait forever. Every item read before that
        // must reach the consumer: the pump never keeps items while it awaits the source.
        var never = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int burst = 1; burst <= 40; burst += 13)
        {
            await using var e = StallingSource(burst, never.Task).BufferBounded(64).GetAsyncEnumerator();
            for (int i = 0; i < burst; i++)
            {
                Assert.That(await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)), Is.True);
                Assert.That(e.Current, Is.EqualTo(i));
            }
        }
    }

    [Test]
    public async Task PumpReadAhead_NeverReadsPastTheRoom_ItemsReadBeforeAStopAreReported([Values(1, 2, 7, 64)] int capacity, [Values(false, true)] bool sourceIgnoresItsToken)
    {
        // A source that ignores its token keeps answering after the stop (and here often makes the pump wait, so runs
        // are written before awaiting it): the pump still never reads past the room, and every item it read is
        // delivered or reported.
        for (int round = 0; round < 20; round++)
        {
            long yielded = 0;
            long maxAhead = 0;
            long delivered = 0;
            var dropped = new ConcurrentQueue<long>();
            async IAsyncEnumerable<long> Source([EnumeratorCancellation] CancellationToken token = default)
            {
                for (long i = 0; i < Items; i++)
                {
                    if (!sourceIgnoresItsToken)
                    {
                        token.ThrowIfCancellationRequested();
                    }

                    // Read only when there is room: the items yielded but not yet delivered never exceed the capacity
                    // plus the one in hand.
                    long ahead = Interlocked.Read(ref yielded) - Interlocked.Read(ref delivered);
                    InterlockedMax(ref maxAhead, ahead + 1);
                    Interlocked.Increment(ref yielded);
                    yield return i;
                    if ((i & (sourceIgnoresItsToken ? 7 : 1023)) == 0)
                    {
                        await Task.Yield();
                    }
                }
            }

            int stopAfter = 1 + ((round * 997) % 5_000);
            var counters = new BackpressureCounters();
            await foreach (long item in Source().BufferBounded(capacity, onDropped: dropped.Enqueue, counters: counters))
            {
                Assert.That(item, Is.EqualTo(Interlocked.Read(ref delivered)), "in order, nothing skipped");
                if (Interlocked.Increment(ref delivered) == stopAfter)
                {
                    break;
                }
            }

            Assert.That(delivered + dropped.Count, Is.EqualTo(Interlocked.Read(ref yielded)), "every item read is delivered or reported");

            // Left-overs are reported by the stopping thread, items the pump still had by the pump: not one sequence.
            Assert.That(dropped, Is.Unique.And.All.GreaterThanOrEqualTo(stopAfter));
            Assert.That(maxAhead, Is.LessThanOrEqualTo(capacity + 1), "the pump reads only while there is room");
            Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(capacity));
        }
    }

    [Test]
    public async Task LockFreeDiscard_AMetricsListenerThatStartsListening_MeasuresEveryLaterDrop()
    {
        // Nothing observes drops at first, so full-buffer arrivals are discarded without the gate. A listener that
        // starts listening on the producer's thread sees every drop after that moment.
        string pipeline = $"span-metrics-{Guid.NewGuid():N}";
        long measuredDrops = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BackpressureMetrics.MeterName && instrument.Name == BackpressureMetrics.ItemsDropped)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == BackpressureMetrics.PipelineTag && (string?)tag.Value == pipeline)
                {
                    Interlocked.Add(ref measuredDrops, value);
                }
            }
        });

        var subject = new Subject<long>();
        var delivered = new ConcurrentQueue<long>();
        var consumer = Task.Run(async () =>
        {
            await foreach (long item in subject.DropWhenFull(4, name: pipeline))
            {
                delivered.Enqueue(item);
                Thread.SpinWait(200);
            }
        });
        await subject.WaitForSubscription();
        await Task.Run(() =>
        {
            for (long i = 0; i < Items; i++)
            {
                if (i == Items / 2)
                {
                    listener.Start();
                }

                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await consumer;

        long secondHalfDelivered = delivered.Count(d => d >= Items / 2);
        Assert.That(Interlocked.Read(ref measuredDrops), Is.EqualTo((Items / 2) - secondHalfDelivered), "every drop after the listener started is measured");
        Assert.That(secondHalfDelivered, Is.LessThan(Items / 2), "the consumer was slow enough for drops to happen");
    }

    private static async Task<List<long>> Run(Subject<long> subject, IAsyncEnumerable<long> sequence, int seed)
    {
        var delivered = new List<long>();
        var consumer = Task.Run(async () =>
        {
            var random = new Random(seed);
            await foreach (long item in sequence)
            {
                delivered.Add(item);
                if (random.Next(8) == 0)
                {
                    Thread.SpinWait(random.Next(300));
                }

                if (random.Next(256) == 0)
                {
                    await Task.Yield();
                }
            }
        });
        await subject.WaitForSubscription();
        await Task.Run(() =>
        {
            for (long i = 0; i < Items; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await consumer;
        return delivered;
    }

    private static void AssertEachOnce(List<long> delivered, List<long> dropped, long produced)
    {
        Assert.That(delivered, Is.Unique, "no item delivered twice");
        Assert.That(dropped, Is.Unique, "no item dropped twice");
        Assert.That(delivered.Intersect(dropped), Is.Empty, "no item both delivered and dropped");
        Assert.That(delivered.Count + dropped.Count, Is.EqualTo(produced), "every item delivered or dropped");
    }

    private static async IAsyncEnumerable<int> StallingSource(int burst, Task<bool> never, [EnumeratorCancellation] CancellationToken token = default)
    {
        for (int i = 0; i < burst; i++)
        {
            yield return i;
        }

        await never.WaitAsync(token);
        yield return -1;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            long previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
