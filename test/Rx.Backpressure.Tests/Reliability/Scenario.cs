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
    public bool PausesSource => Pull && ((Kind == OperatorKind.BufferBounded && Overflow == BufferOverflow.Wait) || Kind == OperatorKind.ThrottleOnPressure);

    public override string ToString()
    {
        string op = Kind switch
        {
            OperatorKind.BufferBounded => $"BufferBounded(capacity: {Capacity}, {Overflow})",
            OperatorKind.DropWhenFull => $"DropWhenFull(capacity: {Capacity})",
            OperatorKind.SampleLatest => $"SampleWhenFull(capacity: {Capacity})",
            OperatorKind.SamplePeriodic => $"SampleWhenFull(capacity: {Capacity}, period: {Period})",
            _ => Pull ? $"ThrottleOnPressure(high: {High}, low: {Low})" : $"ThrottleOnPressure(high: {High}, low: {Low}, capacity: {Capacity}, {Overflow})",
        };
        string items = string.Join(" ", ItemTicks.Select((t, i) => $"{t}:{i + 1}"));
        string end = Terminal == TerminalKind.None ? "no end" : $"{Terminal} at {TerminalTick}";
        string costs = string.Join(",", Costs);
        return $"{(Pull ? "pull" : "bridge")} {op}; source {items}; {end}; consumer costs [{costs}]; disposed at {Disposed}";
    }
}
