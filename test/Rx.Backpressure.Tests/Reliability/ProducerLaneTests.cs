using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// The producer's lane under real concurrency: arrivals appended without the buffer's gate racing a consumer about to
/// wait, a stop, a cancellation, a failure decided on the consumer's thread, several producers at once and a metrics
/// listener. No arrival may stay behind while the consumer waits, and each must be delivered or reported exactly once.
/// </summary>
[Category("Reliability")]
[CancelAfter(180_000)]
public sealed class ProducerLaneTests
{
    [Test]
    public async Task ALastArrival_RacingAReaderAboutToWait_IsDelivered_WithoutAnotherArrivalOrTheEnd([Values(4, 64, 1024)] int capacity)
    {
        // The producer stops after a random number of items and waits for the consumer to see the last one before it
        // completes. An arrival left in the lane while the consumer waits would never be delivered: the wait times out.
        for (int round = 0; round < 1_000; round++)
        {
            var subject = new Subject<long>();
            var random = new Random(round);
            long items = random.Next(1, 400);
            long seen = -1;
            var lastSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = Task.Run(async () =>
            {
                var consumerRandom = new Random(round + 1);
                await foreach (long item in subject.BufferBounded(capacity, BufferOverflow.DropOldest))
                {
                    Volatile.Write(ref seen, item);
                    if (item == items - 1)
                    {
                        lastSeen.TrySetResult();
                    }

                    if (consumerRandom.Next(4) == 0)
                    {
                        Thread.SpinWait(consumerRandom.Next(500));
                    }
                }
            });
            await subject.WaitForSubscription();
            await Task.Run(() =>
            {
                for (long i = 0; i < items; i++)
                {
                    subject.OnNext(i);
                    if (random.Next(16) == 0)
                    {
                        Thread.SpinWait(random.Next(2_000));
                    }
                }
            });

            // A bounded wait: an arrival stranded in the lane never arrives, and the round fails instead of hanging.
            bool delivered = await lastSeen.Task.WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            Assert.That(delivered, Is.True, $"round {round}: the last of {items} arrivals was not delivered (the consumer saw {Volatile.Read(ref seen)})");
            subject.OnCompleted();
            await consumer;
        }
    }

    [Test]
    public async Task AStopRacingArrivals_EachItemDeliveredOrReportedOnce_AndTheCountsBalance([Values(false, true)] bool cancel, [Values(8, 1024)] int capacity)
    {
        for (int round = 0; round < 400; round++)
        {
            var subject = new Subject<long>();
            var dropped = new ConcurrentQueue<long>();
            var counters = new BackpressureCounters();
            var delivered = new List<long>();
            var random = new Random(round);
            int stopAfter = random.Next(0, 300);
            using var cancellation = new CancellationTokenSource();
            var consumer = Task.Run(async () =>
            {
                try
                {
                    await foreach (long item in subject.DropWhenFull(capacity, dropped.Enqueue, counters: counters).WithCancellation(cancellation.Token))
                    {
                        delivered.Add(item);
                        if (delivered.Count >= stopAfter)
                        {
                            if (!cancel)
                            {
                                break;
                            }

                            cancellation.Cancel();
                        }
                    }
                }
                catch (OperationCanceledException) when (cancel)
                {
                }
            });
            await subject.WaitForSubscription();
            long produced = 2_000;
            await Task.Run(() =>
            {
                for (long i = 0; i < produced; i++)
                {
                    subject.OnNext(i);
                }

                subject.OnCompleted();
            });
            await consumer;

            // The stop unsubscribes, so the source's later items never arrive: the ones that did are the first ones.
            List<long> reported = [.. dropped];
            long received = counters.Received;
            Assert.That(delivered, Is.Unique.And.Ordered.Ascending, $"round {round}");
            Assert.That(reported, Is.Unique, $"round {round}: no item reported twice");
            Assert.That(delivered.Intersect(reported), Is.Empty, $"round {round}: no item both delivered and reported");
            Assert.That(delivered.Concat(reported).Order(), Is.EqualTo(Range(received)), $"round {round}: every item received was delivered or reported");
            Assert.That(counters.Delivered + counters.Dropped, Is.EqualTo(counters.Received), $"round {round}: the counts balance");
            Assert.That(counters.Buffered, Is.Zero, $"round {round}: nothing counted as held after the stop");
            Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(capacity), $"round {round}");
        }
    }

    [Test]
    public async Task AFailureDecidedOnTheConsumersThread_RacingArrivals_DeliversOrReportsEachItemOnce()
    {
        // The pressure observer throws when pressure turns off, which the consumer decides: the sequence fails while
        // the producer, which ignores pressure, keeps appending. Items appended before the failure are delivered before
        // the error; later ones are reported as dropped.
        for (int round = 0; round < 300; round++)
        {
            var subject = new Subject<long>();
            var dropped = new ConcurrentQueue<long>();
            var failure = new InvalidOperationException("pressure observer");
            var pressure = new ThrowingWhenOff(failure);
            var delivered = new List<long>();
            var counters = new BackpressureCounters();
            Exception? error = null;
            var consumer = Task.Run(async () =>
            {
                try
                {
                    await foreach (long item in subject.ThrottleOnPressure(64, 16, pressure, capacity: 100_000, onDropped: dropped.Enqueue, counters: counters))
                    {
                        delivered.Add(item);
                    }
                }
                catch (Exception ex)
                {
                    error = ex;
                }
            });
            await subject.WaitForSubscription();
            await Task.Run(() =>
            {
                // Until the failure ends the sequence: a completion first would be the end that stands.
                // In bursts, each started when the consumer has nearly drained the last: pressure turns off (and the
                // observer throws, on the consumer's thread) while the next burst arrives.
                var burstRandom = new Random(round);
                long next = 0;
                while (!consumer.IsCompleted)
                {
                    for (long end = next + burstRandom.Next(50, 500); next < end; next++)
                    {
                        subject.OnNext(next);
                    }

                    while (counters.Buffered > burstRandom.Next(0, 40) && !consumer.IsCompleted)
                    {
                        Thread.Yield();
                    }
                }

                subject.OnCompleted();
            });
            await consumer;

            List<long> reported = [.. dropped];
            Assert.That(error, Is.SameAs(failure), $"round {round}: the observer's exception ends the sequence");
            Assert.That(delivered, Is.Unique.And.Ordered.Ascending, $"round {round}");
            Assert.That(reported, Is.Unique, $"round {round}");
            Assert.That(delivered.Intersect(reported), Is.Empty, $"round {round}");
            Assert.That(delivered.Concat(reported).Order(), Is.EqualTo(Range(counters.Received)), $"round {round}: every item received (the failure unsubscribes) was delivered or reported");
            if (reported.Count > 0 && delivered.Count > 0)
            {
                Assert.That(reported.Min(), Is.GreaterThan(delivered.Max()), $"round {round}: only arrivals after the failure are dropped");
            }
        }
    }

    [Test]
    public async Task SeveralProducersAtOnce_NothingLostOrDuplicated_EachProducersOrderKept([Values(16, 100_000)] int capacity)
    {
        // Concurrent OnNext calls violate Rx's contract; the buffer still loses and duplicates nothing. With a large
        // capacity the producers append to the lane; one that finds another appending takes the locked path.
        const int producers = 4;
        const long perProducer = 20_000;
        for (int round = 0; round < 5; round++)
        {
            var subject = new Subject<long>();
            var dropped = new ConcurrentQueue<long>();
            var delivered = new List<long>();
            var counters = new BackpressureCounters();
            var consumer = Task.Run(async () =>
            {
                await foreach (long item in subject.DropWhenFull(capacity, dropped.Enqueue, counters: counters))
                {
                    delivered.Add(item);
                }
            });
            await subject.WaitForSubscription();
            using var start = new Barrier(producers);
            await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(() =>
            {
                start.SignalAndWait();
                for (long i = 0; i < perProducer; i++)
                {
                    subject.OnNext((p * perProducer) + i);
                }
            })));
            subject.OnCompleted();
            await consumer;

            List<long> reported = [.. dropped];
            Assert.That(delivered, Is.Unique, $"round {round}");
            Assert.That(delivered.Intersect(reported), Is.Empty, $"round {round}");
            Assert.That(delivered.Count + reported.Count, Is.EqualTo(producers * perProducer), $"round {round}: every item delivered or reported");
            Assert.That(counters.Received, Is.EqualTo(producers * perProducer), $"round {round}");
            for (int p = 0; p < producers; p++)
            {
                Assert.That(delivered.Where(i => i / perProducer == p), Is.Ordered.Ascending, $"round {round}: producer {p}'s order");
            }

            if (capacity >= producers * perProducer)
            {
                Assert.That(reported, Is.Empty, $"round {round}: a buffer that never fills drops nothing");
            }
        }
    }

    [Test]
    public async Task AMetricsListener_SeesTheBufferedCountReturnToZero()
    {
        string pipeline = $"lane-{Guid.NewGuid():N}";
        long buffered = 0;
        long delivered = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BackpressureMetrics.MeterName
                && instrument.Name is BackpressureMetrics.ItemsBuffered or BackpressureMetrics.ItemsDelivered)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == BackpressureMetrics.PipelineTag && (string?)tag.Value == pipeline)
                {
                    Interlocked.Add(ref instrument.Name == BackpressureMetrics.ItemsBuffered ? ref buffered : ref delivered, value);
                }
            }
        });
        listener.Start();

        var subject = new Subject<long>();
        long count = 0;
        var consumer = Task.Run(async () =>
        {
            await foreach (long item in subject.BufferBounded(100_000, BufferOverflow.DropOldest, name: pipeline))
            {
                count++;
            }
        });
        await subject.WaitForSubscription();
        await Task.Run(() =>
        {
            for (long i = 0; i < 50_000; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await consumer;

        Assert.That(count, Is.EqualTo(50_000));
        Assert.That(Interlocked.Read(ref delivered), Is.EqualTo(50_000), "every delivery measured");
        Assert.That(Interlocked.Read(ref buffered), Is.Zero, "every arrival appended without the gate was measured as held, and every delivery as released");
    }

    private static IEnumerable<long> Range(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    /// <summary>A pressure observer that throws the first time pressure turns off.</summary>
    private sealed class ThrowingWhenOff(Exception failure) : IObserver<bool>
    {
        private int _thrown;

        public void OnNext(bool value)
        {
            if (!value && Interlocked.Exchange(ref _thrown, 1) == 0)
            {
                throw failure;
            }
        }

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }
}
