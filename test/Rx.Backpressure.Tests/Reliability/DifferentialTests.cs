using System;
using System.Linq;
using System.Threading;
using CsCheck;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// Property-based differential tests: random virtual-time schedules run through the real operator and through
/// <see cref="OperatorModel"/>; deliveries (value and tick), drops, pressure transitions, subscription windows and
/// (pull shape) the ticks the source was asked must be identical.
/// </summary>
[Category("Reliability")]
public sealed class DifferentialTests
{
    public const int Iterations = 20_000;

    private static long _schedules;
    private static long _items;

    /// <summary>Gets how many schedules were run through both the model and the operator.</summary>
    public static long Schedules => Interlocked.Read(ref _schedules);

    /// <summary>Gets how many source items those schedules held.</summary>
    public static long Items => Interlocked.Read(ref _items);

    public static readonly Gen<Scenario> Scenarios =
        from kind in Gen.Enum<OperatorKind>()
        from pull in Gen.Bool
        from capacity in Gen.Int[kind is OperatorKind.BufferBounded or OperatorKind.LatestByKey ? 1 : 0, 6]
        from keys in Gen.Int[1, 8]
        from overflow in pull && kind is OperatorKind.BufferBounded or OperatorKind.LatestByKey
            ? Gen.Enum<BufferOverflow>()
            : Gen.OneOf(BufferOverflow.Error, BufferOverflow.DropOldest, BufferOverflow.DropNewest, BufferOverflow.DropIncoming)
        from period in Gen.Long[1, 25]
        from high in Gen.Int[1, 5]
        from low in Gen.Int[0, high - 1]
        from extra in Gen.Int[0, 3]
        from gaps in Gen.Long[0, 8].Array[0, 25]
        from terminal in Gen.Enum<TerminalKind>()
        from terminalGap in Gen.Long[0, 20]
        from costs in Gen.Long[0, 20].Array[25]
        from disposeEarly in Gen.Int[0, 3]
        from disposed in Gen.Long[201, 600]
        let ticks = Ticks(gaps)
        select new Scenario(
            kind,
            pull,
            kind == OperatorKind.ThrottleOnPressure ? (pull ? high : high + extra) : capacity,
            overflow,
            period,
            high,
            low,
            ticks,
            terminal,
            (ticks.Length == 0 ? 201 : ticks[^1]) + terminalGap,
            costs.Take(Math.Max(1, ticks.Length)).ToArray(),
            disposeEarly == 0 ? disposed : 1000)
        {
            Keys = keys,
        };

    [Test]
    public void Operators_MatchTheModel_OnRandomSchedules()
    {
        // No NUnit assertion inside the property: CsCheck must see the failure to shrink it, and NUnit would record
        // the first (unshrunk) failure. The shrunk scenario is printed with both runs side by side.
        Scenarios.Sample(
            scenario => Difference(scenario) is null,
            iter: Iterations,
            threads: 1,
            print: s => $"{s}\n  model: {new OperatorModel(s).Run()}\n  real:  {RealRun.Of(s)}\n  first difference: {Difference(s)}");
    }

    [Test]
    public void DropFastPath_DeliversExactlyWhatTheLockedPathDelivers()
    {
        // With nothing observing drops, DropWhenFull and DropIncoming discard an arrival at a full buffer without the
        // lock. The locked path (with onDropped) is the reference: deliveries and subscriptions must not move a tick.
        Scenarios
            .Where(s => s.Kind == OperatorKind.DropWhenFull || (s.Kind == OperatorKind.BufferBounded && s.Overflow == BufferOverflow.DropIncoming))
            .Sample(
                s => SameDeliveries(RealRun.Of(s, observeDrops: false), RealRun.Of(s)),
                iter: 3_000,
                threads: 1,
                print: s => $"{s}\n  fast:   {RealRun.Of(s, observeDrops: false)}\n  locked: {RealRun.Of(s)}");
    }

    [Test]
    public void KeyedLane_DeliversExactlyWhatTheLockedPathDelivers()
    {
        // With nothing observing replacements, LatestByKey's producer appends arrivals with their keys to a lane
        // without the lock; with onDropped, every arrival takes the lock. The locked path is the reference.
        Scenarios
            .Where(s => s.Kind == OperatorKind.LatestByKey)
            .Sample(
                s => SameDeliveries(RealRun.Of(s, observeDrops: false), RealRun.Of(s)),
                iter: 3_000,
                threads: 1,
                print: s => $"{s}\n  lane:   {RealRun.Of(s, observeDrops: false)}\n  locked: {RealRun.Of(s)}");
    }

    private static bool SameDeliveries(RealRun fast, RealRun locked) =>
        fast.Messages.SequenceEqual(locked.Messages) && fast.Subscriptions.SequenceEqual(locked.Subscriptions) && fast.Requests.SequenceEqual(locked.Requests);

    /// <summary>Describes the first difference between the model and the real operator, or null when they agree.</summary>
    public static string? Difference(Scenario scenario)
    {
        Interlocked.Increment(ref _schedules);
        Interlocked.Add(ref _items, scenario.ItemTicks.Length);
        var model = new OperatorModel(scenario).Run();
        var real = RealRun.Of(scenario);
        return Diff("deliveries", model.Messages, real.Messages)
            ?? Diff("drops", model.Drops, real.Drops)
            ?? Diff("pressure", model.Pressure, real.Pressure)
            ?? Diff("subscriptions", model.Subscriptions, real.Subscriptions)
            ?? (scenario.Pull ? Diff("source requests", model.Requests, real.Requests) : null);
    }

    private static string? Diff<T>(string what, System.Collections.Generic.List<T> expected, System.Collections.Generic.List<T> actual) =>
        expected.SequenceEqual(actual) ? null : $"{what}: model [{string.Join(" ", expected)}] but real [{string.Join(" ", actual)}]";

    private static long[] Ticks(long[] gaps)
    {
        var ticks = new long[gaps.Length];
        long t = 200;
        for (int i = 0; i < gaps.Length; i++)
        {
            t += i == 0 ? gaps[i] + 1 : gaps[i];
            ticks[i] = t;
        }

        return ticks;
    }
}
