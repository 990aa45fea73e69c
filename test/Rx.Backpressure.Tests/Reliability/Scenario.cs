using System;
using System.Linq;

namespace Rx.Backpressure.Tests.Reliability;

public enum OperatorKind
{
    BufferBounded,
    DropWhenFull,
    SampleLatest,
    SamplePeriodic,
    ThrottleOnPressure,
    LatestByKey,
}

public enum TerminalKind
{
    None,
    Completed,
    Error,
}

/// <summary>
/// One generated virtual-time schedule: an operator configuration, the source's items (absolute ticks, values
/// 1..n in order), its terminal signal, the consumer's processing time per item and the tick at which it
/// cancels and disposes.
/// </summary>
public sealed record Scenario(
    OperatorKind Kind,
    bool Pull,
    int Capacity,
    BufferOverflow Overflow,
    long Period,
    int High,
    int Low,
    long[] ItemTicks,
    TerminalKind Terminal,
    long TerminalTick,
    long[] Costs,
    long Disposed)
{
    /// <summary>Gets the number of distinct keys for LatestByKey: item v has key v % Keys.</summary>
    public int Keys { get; init; } = 1;

    public bool PausesSource => Pull && ((Kind is OperatorKind.BufferBounded or OperatorKind.LatestByKey && Overflow == BufferOverflow.Wait) || Kind == OperatorKind.ThrottleOnPressure);

    public override string ToString()
    {
        string op = Kind switch
        {
            OperatorKind.BufferBounded => $"BufferBounded(capacity: {Capacity}, {Overflow})",
            OperatorKind.DropWhenFull => $"DropWhenFull(capacity: {Capacity})",
            OperatorKind.SampleLatest => $"SampleWhenFull(capacity: {Capacity})",
            OperatorKind.SamplePeriodic => $"SampleWhenFull(capacity: {Capacity}, period: {Period})",
            OperatorKind.LatestByKey => $"LatestByKey(key: v % {Keys}, capacity: {Capacity}, {Overflow})",
            _ => Pull ? $"ThrottleOnPressure(high: {High}, low: {Low})" : $"ThrottleOnPressure(high: {High}, low: {Low}, capacity: {Capacity}, {Overflow})",
        };
        string items = string.Join(" ", ItemTicks.Select((t, i) => $"{t}:{i + 1}"));
        string end = Terminal == TerminalKind.None ? "no end" : $"{Terminal} at {TerminalTick}";
        string costs = string.Join(",", Costs);
        return $"{(Pull ? "pull" : "bridge")} {op}; source {items}; {end}; consumer costs [{costs}]; disposed at {Disposed}";
    }
}
