using System.Diagnostics;

namespace Rx.Backpressure.Demo;

/// <summary>Busy-waiting in real time, for producers that keep a pace and consumers that spend time per item.</summary>
internal static class Busy
{
    /// <summary>Spins for <paramref name="microseconds"/>.</summary>
    /// <param name="microseconds">How long.</param>
    public static void Spin(double microseconds) => SpinUntil(Stopwatch.GetTimestamp() + (long)(microseconds * Stopwatch.Frequency / 1e6));

    /// <summary>Spins until the <see cref="Stopwatch"/> timestamp <paramref name="timestamp"/>.</summary>
    /// <param name="timestamp">When to return.</param>
    public static void SpinUntil(long timestamp)
    {
        var spinner = default(SpinWait);
        while (Stopwatch.GetTimestamp() < timestamp)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
