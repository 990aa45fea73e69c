using System.Diagnostics;
using System.Globalization;
using System.Reactive.Subjects;
using System.Text;
using System.Threading.Channels;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// Hand-off latency at light load: 1,000 items/s from a dedicated producer thread to a consumer that is waiting, so
/// every item is a hand-off to a waiting consumer. Latency = consumer receipt - producer push, per item.
/// </summary>
/// <remarks>
/// Both ways live for the whole run, each with its own Subject and waiting consumer, and the one producer pushes each
/// item to both, one after the other, the order flipping from item to item; each latency runs from that way's own
/// push. So both ways meet the same machine at the same instant. On a shared two-core machine the tail is set by
/// stretches, often a second or longer, in which a woken thread waits for the scheduler's next tick (4 ms): with
/// rounds of a second per way, as this runner measured before, the way that happened to run in more of them lost the
/// p99, whichever it was, and the p99 ratio ranged from 0.85 to 2.9 between runs of the same build.
/// </remarks>
public static class Latency
{
    private const int ItemsPerWay = 20_000;
    private const int WarmUpItemsPerWay = 200;

    public static async Task<int> RunAsync(string outDir, bool quick)
    {
        int measured = quick ? 100 : ItemsPerWay;
        int warmUp = quick ? 20 : WarmUpItemsPerWay;
        var (ours, channel) = await MeasureAsync(s => s.DropWhenFull(Scenario.Capacity), ToChannel, warmUp + measured).ConfigureAwait(false);

        // The first items of each way pay for compiling the code on their path (several milliseconds): start-up, not
        // hand-off latency.
        ours = ours.Skip(warmUp).ToList();
        channel = channel.Skip(warmUp).ToList();
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Hand-off latency at 1,000 items/s to a waiting consumer, {ours.Count:N0} items each, each item pushed to both ways, µs (push to receipt):");
        sb.AppendLine();
        sb.AppendLine("| way | p50 | p90 | p99 | max |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        Row(sb, "**Bridge DropWhenFull(1024)**", ours);
        Row(sb, "Subject → Channel(1024) TryWrite", channel);
        sb.AppendLine();

        // The way pushed first measures more: its push makes the system call that wakes a pool thread, and the second
        // push, stamped after the first returns, rides on that wake. So the item-by-item difference is taken per order,
        // and the mean of the two medians is the difference with the order taken out.
        var differences = ours.Zip(channel, (o, c) => o - c).ToList();
        double oursFirst = Percentile(differences.Where((_, i) => ((warmUp + i) & 1) == 0).ToList(), 0.5);
        double channelFirst = Percentile(differences.Where((_, i) => ((warmUp + i) & 1) == 1).ToList(), 0.5);
        sb.AppendLine(CultureInfo.InvariantCulture, $"Item by item, ours − Channel, median: {oursFirst:N1} µs when ours was pushed first, {channelFirst:N1} µs when Channel was; with the order taken out, {(oursFirst + channelFirst) / 2:N1} µs.");
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

    /// <summary>Pushes <paramref name="itemsPerWay"/> items to both ways, the order flipping per item, and returns each way's latencies in push order.</summary>
    private static async Task<(List<double> A, List<double> B)> MeasureAsync(
        Func<IObservable<int>, IAsyncEnumerable<int>> a, Func<IObservable<int>, IAsyncEnumerable<int>> b, int itemsPerWay)
    {
        var ways = new[] { new Way(a, itemsPerWay), new Way(b, itemsPerWay) };
        while (!ways.All(w => w.Subject.HasObservers))
        {
            await Task.Delay(1).ConfigureAwait(false);
        }

        var producer = new Thread(() =>
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < itemsPerWay; i++)
            {
                long due = start + (i * Stopwatch.Frequency / 1_000);
                while (Stopwatch.GetTimestamp() < due)
                {
                    Thread.SpinWait(20);
                }

                ways[i & 1].Push(i);
                ways[1 - (i & 1)].Push(i);
            }

            foreach (Way way in ways)
            {
                way.Subject.OnCompleted();
            }
        })
        { IsBackground = true, Name = "latency producer" };
        producer.Start();
        await Task.WhenAll(ways.Select(w => w.Consumer)).ConfigureAwait(false);
        producer.Join();

        // At 1,000 items/s neither way drops: each received every item, so the two lists pair item by item.
        if (ways.Any(w => w.Latencies.Count != itemsPerWay))
        {
            throw new InvalidOperationException($"A way lost items: received {ways[0].Latencies.Count:N0} and {ways[1].Latencies.Count:N0} of {itemsPerWay:N0}.");
        }

        return (ways[0].Latencies, ways[1].Latencies);
    }

    private static void Row(StringBuilder sb, string name, List<double> latencies) =>
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Percentile(latencies, 0.5):N1} | {Percentile(latencies, 0.9):N1} | {Percentile(latencies, 0.99):N1} | {latencies.Max():N1} |");

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
    }

    /// <summary>One way under measurement: its Subject, its waiting consumer and the push time of each item.</summary>
    private sealed class Way
    {
        private readonly long[] _pushedAt;

        public Way(Func<IObservable<int>, IAsyncEnumerable<int>> bridge, int items)
        {
            _pushedAt = new long[items];
            Latencies = new List<double>(items);
            IAsyncEnumerable<int> sequence = bridge(Subject);
            Consumer = Task.Run(async () =>
            {
                await foreach (int item in sequence.ConfigureAwait(false))
                {
                    long now = Stopwatch.GetTimestamp();
                    Latencies.Add((now - Volatile.Read(ref _pushedAt[item])) * 1e6 / Stopwatch.Frequency);
                }
            });
        }

        public Subject<int> Subject { get; } = new();

        public List<double> Latencies { get; }

        public Task Consumer { get; }

        public void Push(int item)
        {
            Volatile.Write(ref _pushedAt[item], Stopwatch.GetTimestamp());
            Subject.OnNext(item);
        }
    }
}
