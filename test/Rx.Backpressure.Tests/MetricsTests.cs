using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests;

/// <summary>The <c>Rx.Backpressure</c> meter, observed with a <see cref="MeterListener"/>, in virtual time.</summary>
public sealed class MetricsTests : ReactiveTest
{
    [Test]
    public void Metrics_DeliveredDroppedBuffered_ForTheDesignExample([Values(false, true)] bool pullShape)
    {
        string name = $"example-{pullShape}";
        using var metrics = new Recorder(name);
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4), OnNext(214, 5), OnCompleted<int>(300)]);

        scheduler.StartPull(() => pullShape ? xs.AsyncEnumerable.DropWhenFull(2, scheduler: scheduler, name: name) : xs.Observable.DropWhenFull(2, scheduler: scheduler, name: name), 25);

        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDelivered), Is.EqualTo(3));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "overflow"), Is.EqualTo(2));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsBuffered), Is.Zero, "back to zero at the end");
        Assert.That(metrics.Peak(BackpressureMetrics.ItemsBuffered), Is.EqualTo(2));
        Assert.That(metrics.Operators, Is.EqualTo(new[] { "DropWhenFull" }));
    }

    [Test]
    public void Metrics_LatestByKey_ReplacedValuesAreTaggedReplaced_OperatorTagged()
    {
        const string Name = "latest-by-key";
        using var metrics = new Recorder(Name);
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 10), OnNext(211, 20), OnNext(212, 21), OnNext(213, 22), OnNext(214, 30), OnCompleted<int>(300));

        scheduler.StartPull(() => xs.LatestByKey(x => x / 10, 1, scheduler: scheduler, name: Name), 50);

        // 10 handed over; 20 replaced by 21, 21 by 22; 30 is a new key at capacity 1: 22 evicted (DropOldest).
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDelivered), Is.EqualTo(2));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "replaced"), Is.EqualTo(2));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "evicted"), Is.EqualTo(1));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsBuffered), Is.Zero);
        Assert.That(metrics.Operators, Is.EqualTo(new[] { "LatestByKey" }));
    }

    [Test]
    public void Metrics_DropReasons_EvictedReplacedStopped()
    {
        const string Name = "reasons";
        using var metrics = new Recorder(Name);
        var scheduler = new TestScheduler();

        // Period 10, capacity 1, consumer 50 ticks: 3 replaced, 2 evicted at 222, 5 replaced, 4 evicted at 235.
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(215, 4), OnNext(225, 5), OnNext(230, 6));
        scheduler.StartPull(() => xs.SampleWhenFull(1, TimeSpan.FromTicks(10), scheduler: scheduler, name: Name), 50, disposed: 270);

        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDelivered), Is.EqualTo(2), "1, then 6 at 260");
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "replaced"), Is.EqualTo(2));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "evicted"), Is.EqualTo(2));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "stopped"), Is.Zero);
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsBuffered), Is.Zero);
    }

    [Test]
    public void Metrics_Stopped_AndPressureReturnsToZeroWhenTheConsumerStops([Values(false, true)] bool pullShape)
    {
        string name = $"stop-{pullShape}";
        using var metrics = new Recorder(name);
        var scheduler = new TestScheduler();
        var xs = new TestSource(scheduler, pullShape, [OnNext(210, 1), OnNext(211, 2), OnNext(212, 3), OnNext(213, 4)]);

        scheduler.StartPull(
            () => pullShape
                ? xs.AsyncEnumerable.ThrottleOnPressure(2, 0, scheduler: scheduler, name: name)
                : xs.Observable.ThrottleOnPressure(2, 0, scheduler: scheduler, name: name),
            100,
            disposed: 250);

        Assert.That(metrics.Peak(BackpressureMetrics.PressureActive), Is.EqualTo(1));
        Assert.That(metrics.Sum(BackpressureMetrics.PressureActive), Is.Zero);
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "stopped"), Is.EqualTo(pullShape ? 2 : 3));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsBuffered), Is.Zero);
    }

    [Test]
    public void Metrics_EvictedByDropOldest_OverflowByError()
    {
        using var metrics = new Recorder("modes");
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(Enumerable.Range(1, 6).Select(i => OnNext(210, i)).ToArray());

        scheduler.StartPull(() => xs.BufferBounded(2, BufferOverflow.DropOldest, scheduler: scheduler, name: "modes"), 10, disposed: 400);
        var scheduler2 = new TestScheduler();
        var zs = scheduler2.CreateHotObservable(Enumerable.Range(1, 6).Select(i => OnNext(210, i)).ToArray());
        scheduler2.StartPull(() => zs.BufferBounded(2, scheduler: scheduler2, name: "modes"), 10, disposed: 400);

        // DropOldest: 1 handed off, 2..3 buffered, 4..6 each evict the head. Error: 4 overflows (5 and 6 are never received).
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "evicted"), Is.EqualTo(3));
        Assert.That(metrics.Sum(BackpressureMetrics.ItemsDropped, "overflow"), Is.EqualTo(1));
        Assert.That(metrics.Operators, Is.EqualTo(new[] { "BufferBounded" }));
    }

    /// <summary>Listens to the Rx.Backpressure meter and keeps the measurements of one pipeline name.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _pipeline;
        private readonly List<(string Instrument, long Value, string? Reason, string? Operator)> _measurements = [];

        public Recorder(string pipeline)
        {
            _pipeline = pipeline;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BackpressureMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? pipelineTag = null;
                string? reason = null;
                string? op = null;
                foreach (var tag in tags)
                {
                    switch (tag.Key)
                    {
                        case BackpressureMetrics.PipelineTag: pipelineTag = tag.Value as string; break;
                        case BackpressureMetrics.DropReasonTag: reason = tag.Value as string; break;
                        case BackpressureMetrics.OperatorTag: op = tag.Value as string; break;
                    }
                }

                if (pipelineTag == _pipeline)
                {
                    _measurements.Add((instrument.Name, value, reason, op));
                }
            });
            _listener.Start();
        }

        public IEnumerable<string?> Operators => _measurements.Select(m => m.Operator).Distinct();

        public long Sum(string instrument, string? reason = null) =>
            _measurements.Where(m => m.Instrument == instrument && (reason is null || m.Reason == reason)).Sum(m => m.Value);

        public long Peak(string instrument)
        {
            long running = 0;
            long peak = 0;
            foreach (var m in _measurements.Where(m => m.Instrument == instrument))
            {
                running += m.Value;
                peak = Math.Max(peak, running);
            }

            return peak;
        }

        public void Dispose() => _listener.Dispose();
    }
}
