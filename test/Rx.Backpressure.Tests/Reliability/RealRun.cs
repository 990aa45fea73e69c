using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reactive;
using Microsoft.Reactive.Testing;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>Runs a <see cref="Scenario"/> through the real operator under a TestScheduler and describes what happened in the model's terms.</summary>
public sealed class RealRun
{
    private static readonly Exception SourceError = new InvalidOperationException("source error");

    public List<string> Messages { get; } = [];

    public List<string> Drops { get; } = [];

    public List<string> Pressure { get; } = [];

    public List<string> Subscriptions { get; } = [];

    public List<long> Requests { get; } = [];

    /// <summary>Runs the scenario.</summary>
    /// <param name="s">The scenario.</param>
    /// <param name="observeDrops">False to pass no onDropped (DropWhenFull and DropIncoming then take the lock-free drop path).</param>
    /// <returns>What happened.</returns>
    public static RealRun Of(Scenario s, bool observeDrops = true)
    {
        var run = new RealRun();
        var scheduler = new TestScheduler();
        var pressure = scheduler.CreateObserver<bool>();
        Action<int>? onDropped = observeDrops ? v => run.Drops.Add(string.Create(CultureInfo.InvariantCulture, $"{scheduler.Clock}:{v}")) : null;

        var messages = s.ItemTicks.Select((t, i) => ReactiveTest.OnNext(t, i + 1)).ToList();
        if (s.Terminal == TerminalKind.Completed)
        {
            messages.Add(ReactiveTest.OnCompleted<int>(s.TerminalTick));
        }
        else if (s.Terminal == TerminalKind.Error)
        {
            messages.Add(ReactiveTest.OnError<int>(s.TerminalTick, SourceError));
        }

        var source = new TestSource(scheduler, s.Pull, [.. messages]);
        TimeSpan? period = s.Kind == OperatorKind.SamplePeriodic ? TimeSpan.FromTicks(s.Period) : null;

        IAsyncEnumerable<int> Create() => (s.Kind, s.Pull) switch
        {
            (OperatorKind.BufferBounded, false) => source.Observable.BufferBounded(s.Capacity, s.Overflow, onDropped, scheduler),
            (OperatorKind.BufferBounded, true) => source.AsyncEnumerable.BufferBounded(s.Capacity, s.Overflow, onDropped, scheduler),
            (OperatorKind.DropWhenFull, false) => source.Observable.DropWhenFull(s.Capacity, onDropped, scheduler),
            (OperatorKind.DropWhenFull, true) => source.AsyncEnumerable.DropWhenFull(s.Capacity, onDropped, scheduler),
            (OperatorKind.SampleLatest or OperatorKind.SamplePeriodic, false) => source.Observable.SampleWhenFull(s.Capacity, period, onDropped, scheduler),
            (OperatorKind.SampleLatest or OperatorKind.SamplePeriodic, true) => source.AsyncEnumerable.SampleWhenFull(s.Capacity, period, onDropped, scheduler),
            (OperatorKind.LatestByKey, false) => source.Observable.LatestByKey(v => v % s.Keys, s.Capacity, s.Overflow, onDropped, scheduler: scheduler),
            (OperatorKind.LatestByKey, true) => source.AsyncEnumerable.LatestByKey(v => v % s.Keys, s.Capacity, s.Overflow, onDropped, scheduler: scheduler),
            (_, false) => source.Observable.ThrottleOnPressure(s.High, s.Low, pressure, s.Capacity, s.Overflow, onDropped, scheduler),
            (_, true) => source.AsyncEnumerable.ThrottleOnPressure(s.High, s.Low, pressure, onDropped, scheduler),
        };

        var res = scheduler.StartPull(Create, v => s.Costs[v - 1], disposed: s.Disposed);

        foreach (var m in res.Messages)
        {
            run.Messages.Add(m.Value.Kind switch
            {
                NotificationKind.OnNext => $"{m.Time}:{m.Value.Value}",
                NotificationKind.OnCompleted => $"{m.Time}:C",
                _ => m.Value.Exception switch
                {
                    BufferOverflowException => $"{m.Time}:E(overflow)",
                    var e when ReferenceEquals(e, SourceError) => $"{m.Time}:E(source)",
                    var e => $"{m.Time}:E({e!.GetType().Name}: {e.Message})",
                },
            });
        }

        run.Pressure.AddRange(pressure.Messages.Select(m => $"{m.Time}:{(m.Value.Value ? "on" : "off")}"));
        run.Subscriptions.AddRange(source.Subscriptions.Select(x => x.Unsubscribe == Subscription.Infinite ? $"({x.Subscribe}, ∞)" : $"({x.Subscribe}, {x.Unsubscribe})"));
        if (s.Pull)
        {
            run.Requests.AddRange(source.Requests);
        }

        return run;
    }

    public override string ToString() =>
        $"messages [{string.Join(" ", Messages)}]; drops [{string.Join(" ", Drops)}]; pressure [{string.Join(" ", Pressure)}]; subscriptions [{string.Join(" ", Subscriptions)}]";
}
