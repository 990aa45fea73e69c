using System.Diagnostics;

namespace Rx.Backpressure.Benchmarks;

/// <summary>The consumer's per-item work: none (fast) or about 200 ns of spinning (slow).</summary>
public static class Consumer
{
    private static readonly long SlowTicks = Math.Max(1, Stopwatch.Frequency / 5_000_000);   // 200 ns

    public static void Work(bool slow)
    {
        if (slow)
        {
            long until = Stopwatch.GetTimestamp() + SlowTicks;
            while (Stopwatch.GetTimestamp() < until)
            {
            }
        }
    }
}
