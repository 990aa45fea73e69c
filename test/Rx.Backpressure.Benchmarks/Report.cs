using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace Rx.Backpressure.Benchmarks;

/// <summary>Turns a BenchmarkDotNet run into docs/benchmarks/throughput.md: items/s, bytes/item, delivered fraction and the target ratios.</summary>
public static class Report
{
    public static async Task WriteAsync(IEnumerable<Summary> summaries, string outDir)
    {
        var rows = new Dictionary<(string Scenario, bool Slow), (double ItemsPerSecond, double BytesPerItem)>();
        foreach (Summary summary in summaries)
        {
            foreach (BenchmarkReport report in summary.Reports)
            {
                if (report.ResultStatistics is null)
                {
                    continue;
                }

                string scenario = (string)report.BenchmarkCase.Parameters["Scenario"];
                bool slow = (bool)report.BenchmarkCase.Parameters["SlowConsumer"];
                double ns = report.ResultStatistics.Median;
                double bytes = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? double.NaN;
                rows[(scenario, slow)] = (1e9 / ns, bytes);
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        // Delivered fraction of the lossy ways, measured once per row in this process (BenchmarkDotNet ran them elsewhere).
        var fractions = new Dictionary<(string, bool), double>();
        foreach (Scenario scenario in Scenario.All)
        {
            foreach (bool slow in new[] { false, true })
            {
                // Which items a lossy way delivers depends on thread scheduling: take the median of five runs.
                var runs = new List<double>();
                for (int i = 0; i < 5; i++)
                {
                    runs.Add((await scenario.Run(Throughput.Items, slow).ConfigureAwait(false)).DeliveredFraction);
                }

                runs.Sort();
                fractions[(scenario.Name, slow)] = runs[2];
            }
        }

        Scenario.Shutdown();
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| way of bridging {Throughput.Items:N0} ints | fast consumer: M items/s | bytes/item | delivered | slow consumer (~200 ns/item): M items/s | bytes/item | delivered |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (Scenario scenario in Scenario.All)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {(scenario.Ours ? "**" + scenario.Name + "**" : scenario.Name)} ");
            foreach (bool slow in new[] { false, true })
            {
                if (rows.TryGetValue((scenario.Name, slow), out var row))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"| {row.ItemsPerSecond / 1e6:N2} | {row.BytesPerItem:N2} | {fractions[(scenario.Name, slow)]:P1} ");
                }
                else
                {
                    sb.Append("| - | - | - ");
                }
            }

            sb.AppendLine("|");
        }

        sb.AppendLine();
        sb.AppendLine("Ratios (medians of this run, fast consumer; delivered fractions are medians of five extra runs):");
        sb.AppendLine();
        sb.AppendLine("| comparison | ratio | target |");
        sb.AppendLine("|---|---:|---:|");
        void Ratio(string label, string ours, string peer, string target)
        {
            if (rows.TryGetValue((ours, false), out var a) && rows.TryGetValue((peer, false), out var b))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {a.ItemsPerSecond / b.ItemsPerSecond:N2}× | {target} |");
            }
        }

        foreach (Scenario bridge in Scenario.All.Where(s => s.Ours && s.Name.StartsWith("Bridge", StringComparison.Ordinal)))
        {
            Ratio($"{bridge.Name} ÷ Subject → Channel DropOldest", bridge.Name, "Subject → Channel(1024) DropOldest TryWrite", "≥ 1.0×");
            Ratio($"{bridge.Name} ÷ Ix ToAsyncEnumerable", bridge.Name, "Ix ToAsyncEnumerable (unbounded)", "≥ 4×");
            Ratio($"{bridge.Name} ÷ Akka.Streams", bridge.Name, "Akka.Streams Buffer(1024, Backpressure)", "≥ 5×");
        }

        Ratio("Pull BufferBounded(1024, Wait) ÷ Channel(1024) pump", "Pull BufferBounded(1024, Wait)", "Channel(1024) pump over IAsyncEnumerable", "≥ 0.9×");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "throughput.md"), sb.ToString()).ConfigureAwait(false);
        Console.WriteLine($"wrote {Path.Combine(outDir, "throughput.md")}");
    }
}
