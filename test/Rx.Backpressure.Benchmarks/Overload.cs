using System.Diagnostics;
using System.Globalization;
using System.Text;
using ScottPlot;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// The overload benchmark: 1M and 5M items surged at full speed into a slow consumer (~200 ns/item), one process
/// per scenario and size, reporting peak GC heap and peak RSS. Unbounded bridges grow with the surge; bounded ones
/// must not.
/// </summary>
public static class Overload
{
    public static readonly int[] Sizes = [1_000_000, 5_000_000];

    public static IEnumerable<Scenario> Scenarios => Scenario.All.Where(s => s.Ours || s.Unbounded || s.Name.StartsWith("Channel(1024) Wait", StringComparison.Ordinal));

    /// <summary>Runs one scenario in this process with a slow consumer while sampling the GC heap.</summary>
    public static async Task<OverloadResult> MeasureAsync(Scenario scenario, int items)
    {
        GC.Collect();
        long peak = GC.GetTotalMemory(true);
        bool done = false;
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        sampler.Start();
        var stopwatch = Stopwatch.StartNew();
        Outcome outcome = await scenario.Run(items, true).ConfigureAwait(false);
        stopwatch.Stop();
        Volatile.Write(ref done, true);
        sampler.Join();
        return new OverloadResult(scenario.Name, items, peak, PeakRss(), outcome.DeliveredFraction, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>Child process: one run, printed as a tab-separated line.</summary>
    public static async Task<int> RunOneAsync(string name, int items)
    {
        OverloadResult r = await MeasureAsync(Scenario.Named(name), items).ConfigureAwait(false);
        Scenario.Shutdown();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT\t{r.Scenario}\t{r.Items}\t{r.PeakHeapBytes}\t{r.PeakRssBytes}\t{r.DeliveredFraction}\t{r.Seconds}"));
        return 0;
    }

    /// <summary>Runs every scenario and size in its own process; writes the table and the plot into docs/benchmarks/.</summary>
    public static async Task<int> RunAllAsync(string[] args)
    {
        string outDir = OutputDirectory(args);
        var results = new List<OverloadResult>();
        foreach (Scenario scenario in Scenarios)
        {
            foreach (int size in Sizes)
            {
                OverloadResult r = await RunChildAsync(scenario.Name, size).ConfigureAwait(false);
                results.Add(r);
                Console.WriteLine($"{r.Scenario,-48} {r.Items,10:N0} heap {r.PeakHeapBytes / 1e6,8:N1} MB  RSS {r.PeakRssBytes / 1e6,8:N1} MB  delivered {r.DeliveredFraction,7:P1}  {r.Seconds,6:N2}s");
            }
        }

        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "overload.md"), Table(results)).ConfigureAwait(false);
        Plot(results, Path.Combine(outDir, "memory-vs-surge.png"));
        Console.WriteLine($"wrote {Path.Combine(outDir, "overload.md")} and memory-vs-surge.png");
        return 0;
    }

    public static string OutputDirectory(string[] args)
    {
        int i = Array.IndexOf(args, "--out");
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : Path.Combine("docs", "benchmarks");
    }

    private static async Task<OverloadResult> RunChildAsync(string name, int size)
    {
        string[] f = await ChildProcess.RunAsync("RESULT", "--overload-one", name, size.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        return new OverloadResult(
            f[1],
            int.Parse(f[2], CultureInfo.InvariantCulture),
            long.Parse(f[3], CultureInfo.InvariantCulture),
            long.Parse(f[4], CultureInfo.InvariantCulture),
            double.Parse(f[5], CultureInfo.InvariantCulture),
            double.Parse(f[6], CultureInfo.InvariantCulture));
    }

    private static long PeakRss()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static string Table(List<OverloadResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| way of bridging | peak GC heap at {Sizes[0] / 1_000_000}M (MB) | at {Sizes[1] / 1_000_000}M (MB) | growth (MB) | peak RSS at {Sizes[0] / 1_000_000}M (MB) | at {Sizes[1] / 1_000_000}M (MB) | delivered at {Sizes[1] / 1_000_000}M |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => r.Scenario))
        {
            OverloadResult small = group.First(r => r.Items == Sizes[0]);
            OverloadResult large = group.First(r => r.Items == Sizes[1]);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {small.PeakHeapBytes / 1e6:N1} | {large.PeakHeapBytes / 1e6:N1} | {(large.PeakHeapBytes - small.PeakHeapBytes) / 1e6:N1} | {small.PeakRssBytes / 1e6:N0} | {large.PeakRssBytes / 1e6:N0} | {large.DeliveredFraction:P1} |");
        }

        return sb.ToString();
    }

    private static void Plot(List<OverloadResult> results, string path)
    {
        var plot = new Plot();
        plot.Add.Palette = new ScottPlot.Palettes.Category20();
        foreach (var group in results.GroupBy(r => r.Scenario))
        {
            double[] xs = group.Select(r => r.Items / 1e6).ToArray();
            double[] ys = group.Select(r => r.PeakHeapBytes / 1e6).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = group.Key;
            line.LineWidth = Scenario.Named(group.Key).Ours ? 2 : 3;
            line.LinePattern = Scenario.Named(group.Key).Ours ? LinePattern.Solid : LinePattern.Dashed;
            line.MarkerSize = 8;
        }

        plot.Title("Peak GC heap under a surge into a slow consumer (~200 ns/item)");
        plot.XLabel("items surged (millions)");
        plot.YLabel("peak GC heap (MB)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1100, 650);
    }
}
