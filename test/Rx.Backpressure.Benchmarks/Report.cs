using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace Rx.Backpressure.Benchmarks;

/// <summary>Turns a BenchmarkDotNet run into docs/benchmarks/throughput.md: items/s, bytes/item, delivered items/s and fraction, and the target ratios.</summary>
public static class Report
{
    /// <summary>The mean time of a benchmark method (ns), or NaN if it did not run.</summary>
    private static double Mean(IEnumerable<Summary> summaries, string method) =>
        summaries.SelectMany(s => s.Reports)
            .Where(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method && r.ResultStatistics is not null)
            .Select(r => r.ResultStatistics!.Median)
            .DefaultIfEmpty(double.NaN)
            .First();

    /// <summary>Bytes allocated to create, start and leave waiting one DropWhenFull enumerator of a capacity.</summary>
    private static long IdleEnumeratorBytes(int capacity)
    {
        var subject = new System.Reactive.Subjects.Subject<int>();
        IAsyncEnumerable<int> sequence = subject.DropWhenFull(capacity);
        long Measure()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            IAsyncEnumerator<int> e = sequence.GetAsyncEnumerator();
            ValueTask<bool> pending = e.MoveNextAsync();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            e.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try
            {
                pending.AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }

            return bytes;
        }

        Measure();
        return Measure();
    }

    /// <summary>Writes the throughput table and the targets.</summary>
    /// <param name="summaries">The run.</param>
    /// <param name="outDir">Where to write.</param>
    /// <param name="deliveredLog">The directory the throughput invocations recorded what they delivered in (see <see cref="DeliveredLog"/>).</param>
    /// <returns>A task.</returns>
    public static async Task WriteAsync(IEnumerable<Summary> summaries, string outDir, string deliveredLog)
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

                if (report.BenchmarkCase.Descriptor.Type != typeof(Throughput))
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

        // Delivered items per second and fraction, from the same invocations BenchmarkDotNet timed (median of each case's
        // invocations after the first few, which compile it).
        var delivered = new Dictionary<(string, bool), (double PerSecond, double Fraction, int Runs)>();
        foreach (Scenario scenario in Scenario.All)
        {
            foreach (bool slow in new[] { false, true })
            {
                if (DeliveredLog.Read(deliveredLog, scenario.Name, slow) is { } recorded)
                {
                    delivered[(scenario.Name, slow)] = recorded;
                }
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| way of bridging {Throughput.Items:N0} ints | fast consumer: M items/s | bytes/item | delivered | M delivered/s | slow consumer (~200 ns/item): M items/s | bytes/item | delivered | M delivered/s |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Scenario scenario in Scenario.All)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {(scenario.Ours ? "**" + scenario.Name + "**" : scenario.Name)} ");
            foreach (bool slow in new[] { false, true })
            {
                if (rows.TryGetValue((scenario.Name, slow), out var row))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"| {row.ItemsPerSecond / 1e6:N2} | {row.BytesPerItem:N2} ");
                    sb.Append(delivered.TryGetValue((scenario.Name, slow), out var d)
                        ? string.Create(CultureInfo.InvariantCulture, $"| {d.Fraction:P1} | {d.PerSecond / 1e6:N2} ")
                        : "| - | - ");
                }
                else
                {
                    sb.Append("| - | - | - | - ");
                }
            }

            sb.AppendLine("|");
        }

        sb.AppendLine();
        int fewest = delivered.Values.Select(d => d.Runs).DefaultIfEmpty(0).Min();
        sb.AppendLine(CultureInfo.InvariantCulture, $"\"M items/s\" is the pushed items over the median time of a run; \"M delivered/s\" and \"delivered\" are medians over the same invocations (at least {fewest} per case, after the first {DeliveredLog.Skipped}), each timed inside the invocation.");
        sb.AppendLine();
        sb.AppendLine("Targets (medians of this run, fast consumer, delivered items per second):");
        sb.AppendLine();
        sb.AppendLine("| measure | figure | target | |");
        sb.AppendLine("|---|---:|---:|---|");
        double Delivered(string name) =>
            delivered.TryGetValue((name, false), out var d) ? d.PerSecond : double.NaN;
        void Target(string label, double figure, string target, bool met, string unit = "×") =>
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {figure:N2}{unit} | {target} | {(double.IsNaN(figure) ? "not measured" : met ? "met" : "**missed**")} |");
        void AtLeast(string label, double ours, double peer, double target) =>
            Target(label, ours / peer, $"≥ {target:N1}×", ours / peer >= target);

        AtLeast("pull BufferBounded(1024, Wait) ÷ Channel(1024) pump", Delivered("Pull BufferBounded(1024, Wait)"), Delivered("Channel(1024) pump over IAsyncEnumerable"), 2);
        AtLeast("lossless bridge (ThrottleOnPressure + gate) ÷ Subject → Channel(1024, Wait), delivered/s", Delivered("Bridge ThrottleOnPressure(1024, 256) + gate"), Delivered("Subject → Channel(1024) Wait, producer awaits room"), 2);
        AtLeast("Bridge BufferBounded(1024, DropOldest) ÷ Subject → Channel DropOldest, delivered/s", Delivered("Bridge BufferBounded(1024, DropOldest)"), Delivered("Subject → Channel(1024) DropOldest TryWrite"), 2);
        AtLeast("Bridge DropWhenFull(1024) ÷ Subject → Channel DropWrite, delivered/s", Delivered("Bridge DropWhenFull(1024)"), Delivered("Subject → Channel(1024) DropWrite TryWrite"), 2);
        AtLeast("Bridge SampleWhenFull(1024) ÷ Subject → Channel DropOldest (nearest policy), delivered/s", Delivered("Bridge SampleWhenFull(1024)"), Delivered("Subject → Channel(1024) DropOldest TryWrite"), 2);
        AtLeast("Bridge LatestByKey(1024 keys) ÷ Subject → Channel DropOldest (nearest policy), delivered/s", Delivered("Bridge LatestByKey(1024 keys)"), Delivered("Subject → Channel(1024) DropOldest TryWrite"), 2);
        AtLeast("lossless bridge delivered/s ÷ Ix ToAsyncEnumerable", Delivered("Bridge ThrottleOnPressure(1024, 256) + gate"), Delivered("Ix ToAsyncEnumerable (unbounded)"), 4);
        AtLeast("pull BufferBounded(1024, Wait) ÷ the source consumed alone", Delivered("Pull BufferBounded(1024, Wait)"), Delivered("Source alone, consumed on one thread"), 0.5);
        AtLeast("DropWhenFull(1024).Batch(256) ÷ DropWhenFull(1024) per item, delivered/s", Delivered("Bridge DropWhenFull(1024).Batch(256)"), Delivered("Bridge DropWhenFull(1024)"), 1);
        AtLeast("DropWhenFull(1024).Batch(256) ÷ Ix ToAsyncEnumerable().Buffer(256), delivered/s", Delivered("Bridge DropWhenFull(1024).Batch(256)"), Delivered("Ix ToAsyncEnumerable().Buffer(256) (unbounded)"), 1);

        double dropped = Mean(summaries, "DropWhenFull_OnNext") / Mean(summaries, "Channel_TryWrite_DropWrite");
        Target("cost of an OnNext dropped at a full DropWhenFull(1024) ÷ Channel TryWrite (DropWrite)", dropped, "≤ 0.5×", dropped <= 0.5);
        double fanOut = Mean(summaries, "DropWhenFull_1000Subscribers") / Mean(summaries, "Channels_1000Subscribers");
        Target("one Subject → 1,000 enumerators, cost per OnNext per subscriber ÷ 1,000 Channels", fanOut, "≤ 1.0×", fanOut <= 1.0);

        // Batch hands the consumer a new array per batch (the consumer's to keep, as Rx's Buffer does): that is the
        // batch, not a cost per item of the hand-off, so it is shown apart.
        static bool Batched(string name) => name.Contains(".Batch(", StringComparison.Ordinal);
        double maxBytes = rows.Where(r => Scenario.Named(r.Key.Scenario).Ours && !Batched(r.Key.Scenario)).Select(r => r.Value.BytesPerItem).DefaultIfEmpty(double.NaN).Max();
        Target("allocation per item, steady state, every operator and shape (the most of any; Batch below)", maxBytes, "0 B (< 1 B: a per-run constant)", maxBytes < 1, " B");
        double batchBytes = rows.Where(r => Batched(r.Key.Scenario)).Select(r => r.Value.BytesPerItem).DefaultIfEmpty(double.NaN).Max();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Batch(256): the arrays it hands out, one per batch (not a target: the consumer keeps them) | {batchBytes:N2} B | | |");
        long idle16 = IdleEnumeratorBytes(16);
        long idle1024 = IdleEnumeratorBytes(1024);
        Target("idle enumerator at capacity 1024 (capacity 16 costs " + idle16.ToString("N0", CultureInfo.InvariantCulture) + " B)", idle1024, "≤ capacity 16, < 1 KB", idle1024 <= idle16 && idle1024 < 1024, " B");
        sb.AppendLine();
        sb.AppendLine("Hand-off latency at light load is measured by a separate runner (`--latency`): see the latency table.");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "throughput.md"), sb.ToString()).ConfigureAwait(false);
        Console.WriteLine($"wrote {Path.Combine(outDir, "throughput.md")}");
    }
}
