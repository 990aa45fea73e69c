using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// The throughput targets measured side by side: for each target, our way and its peer run in alternating rounds in
/// one process (the order flips every round), so a burst of load from elsewhere on the machine lands on both. The
/// BenchmarkDotNet suite runs its cases one after another instead, minutes apart; the two views together say whether
/// a ratio is the code's or the machine's. Each pair runs in a process of its own, as each BenchmarkDotNet case does:
/// in one process shared by every pair, the code the JIT had compiled for the pairs before (one consumer loop for
/// every way, profiled on other enumerators) decided a later pair's figure.
/// </summary>
public static class SideBySide
{
    private const int Items = 2_000_000;

    /// <summary>Unmeasured rounds first: enough for both ways' code to reach its final tier (about 10 M items for the pull shape).</summary>
    private const int WarmupRounds = 8;

    private const int Rounds = 15;

    /// <summary>Each target: a label, our scenario, the peer, the least ratio wanted.</summary>
    private static readonly (string Label, string Ours, string Peer, double AtLeast)[] Targets =
    [
        ("pull BufferBounded(1024, Wait) ÷ Channel(1024) pump", "Pull BufferBounded(1024, Wait)", "Channel(1024) pump over IAsyncEnumerable", 2),
        ("lossless bridge (ThrottleOnPressure + gate) ÷ Subject → Channel(1024, Wait)", "Bridge ThrottleOnPressure(1024, 256) + gate", "Subject → Channel(1024) Wait, producer awaits room", 2),
        ("Bridge BufferBounded(1024, DropOldest) ÷ Subject → Channel DropOldest", "Bridge BufferBounded(1024, DropOldest)", "Subject → Channel(1024) DropOldest TryWrite", 2),
        ("Bridge DropWhenFull(1024) ÷ Subject → Channel DropWrite", "Bridge DropWhenFull(1024)", "Subject → Channel(1024) DropWrite TryWrite", 2),
        ("Bridge SampleWhenFull(1024) ÷ Subject → Channel DropOldest", "Bridge SampleWhenFull(1024)", "Subject → Channel(1024) DropOldest TryWrite", 2),
        ("Bridge LatestByKey(1024 keys) ÷ Subject → Channel DropOldest", "Bridge LatestByKey(1024 keys)", "Subject → Channel(1024) DropOldest TryWrite", 2),
        ("lossless bridge ÷ Ix ToAsyncEnumerable", "Bridge ThrottleOnPressure(1024, 256) + gate", "Ix ToAsyncEnumerable (unbounded)", 4),
        ("pull BufferBounded(1024, Wait) ÷ the source consumed alone", "Pull BufferBounded(1024, Wait)", "Source alone, consumed on one thread", 0.5),
        ("DropWhenFull(1024).Batch(256) ÷ DropWhenFull(1024) per item", "Bridge DropWhenFull(1024).Batch(256)", "Bridge DropWhenFull(1024)", 1),
        ("DropWhenFull(1024).Batch(256) ÷ Ix ToAsyncEnumerable().Buffer(256)", "Bridge DropWhenFull(1024).Batch(256)", "Ix ToAsyncEnumerable().Buffer(256) (unbounded)", 1),
    ];

    /// <summary>Runs every target (small and unwritten when <paramref name="quick"/>) and writes side-by-side.md.</summary>
    /// <param name="outDir">Where the table goes.</param>
    /// <param name="quick">CI: a few small rounds, to prove it runs; nothing is written.</param>
    /// <returns>0.</returns>
    public static async Task<int> RunAsync(string outDir, bool quick)
    {
        int items = quick ? 20_000 : Items;
        int warmup = quick ? 0 : WarmupRounds;
        int rounds = quick ? 1 : Rounds;
        var sb = new StringBuilder();
        if (quick)
        {
            sb.AppendLine("(quick: one cold round of a few items, to prove the runner works; these are not measurements)");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"Side by side: {rounds} interleaved rounds of {items:N0} items per pair (after {warmup} unmeasured){(quick ? string.Empty : ", each pair in a process of its own")}, fast consumer, delivered items per second; the order of the two flips every round.");
        sb.AppendLine();
        sb.AppendLine("| measure | ours: median M items/s | peer: median M items/s | ratio of medians | rounds whose own ratio meets the target | target | |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        for (int target = 0; target < Targets.Length; target++)
        {
            var (label, ours, peer, atLeast) = Targets[target];
            var (oursRates, peerRates) = quick
                ? await InterleaveAsync(Scenario.Named(ours), Scenario.Named(peer), items, warmup, rounds).ConfigureAwait(false)
                : await RunPairInChildAsync(target).ConfigureAwait(false);
            double ratio = Statistics.Median(oursRates) / Statistics.Median(peerRates);
            int ahead = oursRates.Zip(peerRates).Count(p => p.First / p.Second >= atLeast);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {Statistics.Median(oursRates) / 1e6:N2} | {Statistics.Median(peerRates) / 1e6:N2} | {ratio:N2}× | {ahead} of {rounds} | ≥ {atLeast:N1}× | {(ratio >= atLeast ? "met" : "**missed**")} |");
        }

        Console.Write(sb.ToString());
        if (!quick)
        {
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "side-by-side.md"), sb.ToString()).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The child process of one pair (<c>--side-by-side-pair</c>): prints its rounds' rates, ours then the peer's.</summary>
    /// <param name="target">The index of the target.</param>
    /// <returns>0.</returns>
    public static async Task<int> RunPairAsync(int target)
    {
        var (_, ours, peer, _) = Targets[target];
        var (oursRates, peerRates) = await InterleaveAsync(Scenario.Named(ours), Scenario.Named(peer), Items, WarmupRounds, Rounds).ConfigureAwait(false);
        Console.WriteLine("RATES\t" + Join(oursRates) + "\t" + Join(peerRates));
        Scenario.Shutdown();
        return 0;
    }

    private static string Join(List<double> rates) => string.Join(',', rates.Select(r => r.ToString("R", CultureInfo.InvariantCulture)));

    private static async Task<(List<double> Ours, List<double> Peer)> RunPairInChildAsync(int target)
    {
        string[] f = await ChildProcess.RunAsync("RATES", "--side-by-side-pair", target.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        static List<double> Parse(string rates) => rates.Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToList();
        return (Parse(f[1]), Parse(f[2]));
    }

    private static async Task<(List<double> Ours, List<double> Peer)> InterleaveAsync(Scenario ours, Scenario peer, int items, int warmup, int rounds)
    {
        var oursRates = new List<double>();
        var peerRates = new List<double>();
        for (int round = 0; round < warmup + rounds; round++)
        {
            bool oursFirst = round % 2 == 0;
            double first = await RateAsync(oursFirst ? ours : peer, items).ConfigureAwait(false);
            double second = await RateAsync(oursFirst ? peer : ours, items).ConfigureAwait(false);
            if (round >= warmup)
            {
                oursRates.Add(oursFirst ? first : second);
                peerRates.Add(oursFirst ? second : first);
            }
        }

        return (oursRates, peerRates);
    }

    private static async Task<double> RateAsync(Scenario scenario, int items)
    {
        var stopwatch = Stopwatch.StartNew();
        Outcome outcome = await scenario.Run(items, false).ConfigureAwait(false);
        return outcome.Delivered / stopwatch.Elapsed.TotalSeconds;
    }
}
