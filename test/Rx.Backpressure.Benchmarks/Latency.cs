using System.Diagnostics;
using System.Globalization;
using System.Reactive.Subjects;
using System.Text;
using System.Threading.Channels;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// Hand-off latency at light load: 1,000 items/s from a dedicated producer thread to a consumer that is waiting, so
/// every item is a hand-off to a waiting consumer. Latency = consumer receipt - producer push, per item; percentiles
/// over interleaved rounds of the operator and of a bounded Channel fed by the same Subject.
/// </summary>
public static class Latency
{
    private const int ItemsPerRound = 1_000;
    private const int Rounds = 10;

    public static async Task<int> RunAsync(string outDir, bool quick)
    {
        int items = quick ? 100 : ItemsPerRound;
        var ours = new List<double>();
        var channel = new List<double>();

        // One unmeasured round of each first: its first hand-offs pay for compiling the code on their path (several
        // milliseconds), which is start-up, not hand-off latency.
        _ = await MeasureAsync(s => s.DropWhenFull(Scenario.Capacity), quick ? 10 : 100).ConfigureAwait(false);
        _ = await MeasureAsync(ToChannel, quick ? 10 : 100).ConfigureAwait(false);
        for (int round = 0; round < (quick ? 1 : Rounds); round++)
        {
            ours.AddRange(await MeasureAsync(s => s.DropWhenFull(Scenario.Capacity), items).ConfigureAwait(false));
            channel.AddRange(await MeasureAsync(ToChannel, items).ConfigureAwait(false));
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Hand-off latency at 1,000 items/s to a waiting consumer, {ours.Count:N0} items each, µs (push to receipt):");
        sb.AppendLine();
        sb.AppendLine("| way | p50 | p90 | p99 | max |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        Row(sb, "**Bridge DropWhenFull(1024)**", ours);
        Row(sb, "Subject → Channel(1024) TryWrite", channel);
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Ratios (ours ÷ Channel): p50 {Percentile(ours, 0.5) / Percentile(channel, 0.5):N2}×, p99 {Percentile(ours, 0.99) / Percentile(channel, 0.99):N2}× (target ≤ 1.0×).");
        Console.Write(sb.ToString());
        if (!quick)
        {
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "latency.md"), sb.ToString()).ConfigureAwait(false);
        }

        return 0;
    }

    private static IAsyncEnumerable<int> ToChannel(IObservable<int> source)
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Scenario.Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true });
        source.Subscribe(x => channel.Writer.TryWrite(x), () => channel.Writer.Complete());
        return channel.Reader.ReadAllAsync();
    }

    private static async Task<List<double>> MeasureAsync(Func<IObservable<int>, IAsyncEnumerable<int>> bridge, int items)
    {
        var subject = new Subject<int>();
        var pushedAt = new long[items];
        var latencies = new List<double>(items);
        IAsyncEnumerable<int> sequence = bridge(subject);
        var consumer = Task.Run(async () =>
        {
            await foreach (int item in sequence.ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                latencies.Add((now - Volatile.Read(ref pushedAt[item])) * 1e6 / Stopwatch.Frequency);
            }
        });
        while (!subject.HasObservers)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }

        var producer = new Thread(() =>
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < items; i++)
            {
                long due = start + (i * Stopwatch.Frequency / 1_000);
                while (Stopwatch.GetTimestamp() < due)
                {
                    Thread.SpinWait(20);
                }

                Volatile.Write(ref pushedAt[i], Stopwatch.GetTimestamp());
                subject.OnNext(i);
            }

            subject.OnCompleted();
        })
        { IsBackground = true, Name = "latency producer" };
        producer.Start();
        await consumer.ConfigureAwait(false);
        producer.Join();
        return latencies;
    }

    private static void Row(StringBuilder sb, string name, List<double> latencies) =>
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Percentile(latencies, 0.5):N1} | {Percentile(latencies, 0.9):N1} | {Percentile(latencies, 0.99):N1} | {latencies.Max():N1} |");

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
    }
}
