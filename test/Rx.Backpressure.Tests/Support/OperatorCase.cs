using System;
using System.Collections.Generic;
using System.Reactive.Concurrency;

namespace Rx.Backpressure.Tests.Support;

/// <summary>One operator configuration in one shape, applied to a test source.</summary>
public sealed class OperatorCase
{
    private readonly Func<IObservable<int>, Action<int>, IScheduler, BackpressureCounters?, IAsyncEnumerable<int>>? _push;
    private readonly Func<IAsyncEnumerable<int>, Action<int>, IScheduler, BackpressureCounters?, IAsyncEnumerable<int>>? _pull;

    private OperatorCase(
        string name,
        Func<IObservable<int>, Action<int>, IScheduler, BackpressureCounters?, IAsyncEnumerable<int>>? push,
        Func<IAsyncEnumerable<int>, Action<int>, IScheduler, BackpressureCounters?, IAsyncEnumerable<int>>? pull,
        bool pausesSource)
    {
        Name = name;
        _push = push;
        _pull = pull;
        PausesSource = pausesSource;
    }

    /// <summary>Every operator with capacity (or high watermark) 2, in both shapes.</summary>
    public static IEnumerable<OperatorCase> All
    {
        get
        {
            foreach (BufferOverflow overflow in new[] { BufferOverflow.Error, BufferOverflow.DropOldest, BufferOverflow.DropNewest, BufferOverflow.DropIncoming })
            {
                yield return Push($"Bridge.BufferBounded({overflow})", (s, d, sch, c) => s.BufferBounded(2, overflow, d, sch, c));
            }

            yield return Push("Bridge.DropWhenFull", (s, d, sch, c) => s.DropWhenFull(2, d, sch, c));
            yield return Push("Bridge.SampleWhenFull(latest)", (s, d, sch, c) => s.SampleWhenFull(2, null, d, sch, c));
            yield return Push("Bridge.SampleWhenFull(period)", (s, d, sch, c) => s.SampleWhenFull(2, TimeSpan.FromTicks(10), d, sch, c));
            yield return Push("Bridge.ThrottleOnPressure", (s, d, sch, c) => s.ThrottleOnPressure(2, 1, onDropped: d, scheduler: sch, counters: c));
            yield return Push("Bridge.LatestByKey", (s, d, sch, c) => s.LatestByKey(x => x, 2, onDropped: d, scheduler: sch, counters: c));

            foreach (BufferOverflow overflow in new[] { BufferOverflow.Wait, BufferOverflow.Error, BufferOverflow.DropOldest, BufferOverflow.DropNewest, BufferOverflow.DropIncoming })
            {
                yield return Pull($"Pull.BufferBounded({overflow})", (s, d, sch, c) => s.BufferBounded(2, overflow, d, sch, c), overflow == BufferOverflow.Wait);
            }

            yield return Pull("Pull.DropWhenFull", (s, d, sch, c) => s.DropWhenFull(2, d, sch, c), false);
            yield return Pull("Pull.SampleWhenFull(latest)", (s, d, sch, c) => s.SampleWhenFull(2, null, d, sch, c), false);
            yield return Pull("Pull.SampleWhenFull(period)", (s, d, sch, c) => s.SampleWhenFull(2, TimeSpan.FromTicks(10), d, sch, c), false);
            yield return Pull("Pull.ThrottleOnPressure", (s, d, sch, c) => s.ThrottleOnPressure(2, 1, onDropped: d, scheduler: sch, counters: c), true);
            yield return Pull("Pull.LatestByKey", (s, d, sch, c) => s.LatestByKey(x => x, 2, onDropped: d, scheduler: sch, counters: c), false);
            yield return Pull("Pull.LatestByKey(Wait)", (s, d, sch, c) => s.LatestByKey(x => x, 2, BufferOverflow.Wait, d, scheduler: sch, counters: c), true);
        }
    }

    public static OperatorCase Push(string name, Func<IObservable<int>, Action<int>, IScheduler, BackpressureCounters?, IAsyncEnumerable<int>> apply) =>
        new(name, apply, null, false);

    public static OperatorCase Pull(string name, Func<IAsyncEnumerable<int>, Action<int>, IScheduler, BackpressureCounters?, IAsyncEnumerable<int>> apply, bool pausesSource) =>
        new(name, null, apply, pausesSource);

    public string Name { get; }

    public bool IsPull => _pull is not null;

    /// <summary>Gets a value indicating whether the pump stops reading the source while the buffer is full (Wait, pull ThrottleOnPressure).</summary>
    public bool PausesSource { get; }

    public IAsyncEnumerable<int> Apply(TestSource source, Action<int> onDropped, IScheduler scheduler, BackpressureCounters? counters = null) =>
        _push is not null ? _push(source.Observable, onDropped, scheduler, counters) : _pull!(source.AsyncEnumerable, onDropped, scheduler, counters);

    public override string ToString() => Name;
}
