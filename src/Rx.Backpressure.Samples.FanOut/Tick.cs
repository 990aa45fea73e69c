namespace Rx.Backpressure.Samples.FanOut;

/// <summary>One item of the live feed: its sequence number, a key (a symbol, a sensor) and when it was produced.</summary>
/// <param name="Sequence">The feed's running number, from 0.</param>
/// <param name="Key">The key, for LatestByKey.</param>
/// <param name="Ticks">When it was produced (<see cref="System.Diagnostics.Stopwatch"/> ticks).</param>
public sealed record Tick(long Sequence, int Key, long Ticks);
