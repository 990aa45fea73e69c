using System.Diagnostics;

namespace Rx.Backpressure.Benchmarks;

/// <summary>Runs every scenario once with few items, fast and slow consumer, and prints what happened. For CI.</summary>
public static class Quick
{
    public static async Task<int> RunAsync()
    {
        const int Items = 20_000;
        int failures = 0;
        Console.WriteLine($"{"scenario",-48} {"consumer",-8} {"delivered",10} {"fraction",9} {"ms",8}");
        foreach (Scenario scenario in Scenario.All)
        {
            foreach (bool slow in new[] { false, true })
            {
                var stopwatch = Stopwatch.StartNew();
                Outcome outcome = await scenario.Run(Items, slow).WaitAsync(TimeSpan.FromMinutes(1));
                stopwatch.Stop();
                bool ok = outcome.Produced == Items && outcome.Delivered > 0 && (scenario.Lossy || outcome.Delivered == Items);
                failures += ok ? 0 : 1;
                Console.WriteLine($"{scenario.Name,-48} {(slow ? "slow" : "fast"),-8} {outcome.Delivered,10:N0} {outcome.DeliveredFraction,9:P1} {stopwatch.Elapsed.TotalMilliseconds,8:N1}{(ok ? string.Empty : "  <-- lost items or delivered nothing")}");
            }
        }

        // The overload path, in process and small: it must run, its figures are not judged here.
        OverloadResult result = await Overload.MeasureAsync(Scenario.All[1], 50_000);
        Console.WriteLine($"overload probe: {result.Scenario}, {result.Items:N0} items, peak heap {result.PeakHeapBytes / 1e6:N1} MB, peak RSS {result.PeakRssBytes / 1e6:N1} MB");

        await Latency.RunAsync(string.Empty, quick: true);
        await SideBySide.RunAsync(string.Empty, quick: true);
        await FanOutScale.RunAsync(string.Empty, quick: true);
        Scenario.Shutdown();
        Console.WriteLine(failures == 0 ? "quick benchmark run: OK" : $"quick benchmark run: {failures} scenario(s) misbehaved");
        return failures == 0 ? 0 : 1;
    }
}
