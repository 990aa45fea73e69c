using System.Globalization;
using Rx.Backpressure.Benchmarks;

// Modes:
//   (none)             the BenchmarkDotNet suite (throughput and allocation, fast and slow consumer, short job)
//   --quick            every scenario once, small, in process — proves everything compiles and runs (CI); no timings judged
//   --overload         1M and 5M items surged into a slow consumer, one child process per scenario and size
//   --overload-one S N one such run (child process); prints a result line
//   --side-by-side     each throughput target's two ways in interleaved rounds, one process per pair (side-by-side.md)
//   --side-by-side-pair I  one such pair (child process); prints its rates
//   --latency          hand-off latency at light load (latency.md)
if (args.Contains("--quick"))
{
    return await Quick.RunAsync();
}

if (args.Length >= 4 && args[0] == "--probe")
{
    // --probe "<scenario>" <items> <slow>: one run, for looking at one case by hand
    var probe = Scenario.Named(args[1]);
    for (int i = 0; i < 5; i++)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        Outcome o = await probe.Run(int.Parse(args[2], CultureInfo.InvariantCulture), bool.Parse(args[3]));
        double perItem = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)o.Produced;
        Console.WriteLine($"{probe.Name}: delivered {o.Delivered:N0} of {o.Produced:N0} ({o.DeliveredFraction:P1}) in {stopwatch.Elapsed.TotalMilliseconds:N1} ms, {perItem:N2} B per item (the whole process)");
    }

    Scenario.Shutdown();
    return 0;
}

if (args.Length >= 3 && args[0] == "--compare")
{
    // --compare <items> "<scenario>" "<scenario>"...: interleaved rounds in one process, median delivered items/s of
    // each and its ratio to the first; a quick look while working, not the reported figures (those come from BenchmarkDotNet)
    int items = int.Parse(args[1], CultureInfo.InvariantCulture);
    var scenarios = args.Skip(2).Select(Scenario.Named).ToArray();
    var rates = scenarios.Select(_ => new List<double>()).ToArray();
    for (int round = 0; round < 9; round++)
    {
        for (int i = 0; i < scenarios.Length; i++)
        {
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            Outcome o = await scenarios[i].Run(items, false);
            if (round > 1)
            {
                rates[i].Add(o.Delivered / stopwatch.Elapsed.TotalSeconds);
            }
        }
    }

    for (int i = 0; i < scenarios.Length; i++)
    {
        Console.WriteLine($"{Statistics.Median(rates[i]) / 1e6,8:N2} M/s  {Statistics.Median(rates[i]) / Statistics.Median(rates[0]),6:N2}x  {scenarios[i].Name}");
    }

    Scenario.Shutdown();
    return 0;
}

if (args.Length >= 3 && args[0] == "--overload-one")
{
    return await Overload.RunOneAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
}

if (args.Length >= 2 && args[0] == "--side-by-side-pair")
{
    return await SideBySide.RunPairAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
}

if (args.Length >= 3 && args[0] == "--fan-out-server")
{
    return await FanOutScale.ServeAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
}

if (args.Contains("--fan-out"))
{
    return await FanOutScale.RunAsync(Overload.OutputDirectory(args), quick: args.Contains("--small"));
}

if (args.Contains("--side-by-side"))
{
    return await SideBySide.RunAsync(Overload.OutputDirectory(args), quick: false);
}

if (args.Contains("--latency"))
{
    return await Latency.RunAsync(Overload.OutputDirectory(args), quick: false);
}

if (args.Contains("--overload"))
{
    return await Overload.RunAllAsync(args);
}

string[] bdnArgs = args.Where((a, i) => a != "--out" && (i == 0 || args[i - 1] != "--out")).ToArray();

// Each throughput invocation records what it delivered in a fresh directory (the benchmark processes inherit it).
string deliveredLog = Directory.CreateTempSubdirectory("rxbp-delivered-").FullName;
Environment.SetEnvironmentVariable(DeliveredLog.DirectoryVariable, deliveredLog);
var summaries = BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Scenario).Assembly).Run(bdnArgs, Suite.Config());
Environment.SetEnvironmentVariable(DeliveredLog.DirectoryVariable, null);
await Report.WriteAsync(summaries, Overload.OutputDirectory(args), deliveredLog);

// Kept beside BenchmarkDotNet's own results, one file per case, one line per invocation: produced, delivered, seconds.
string kept = Path.Combine("BenchmarkDotNet.Artifacts", "delivered");
if (Directory.Exists(kept))
{
    Directory.Delete(kept, recursive: true);
}

Directory.CreateDirectory(kept);
foreach (string file in Directory.GetFiles(deliveredLog))
{
    File.Copy(file, Path.Combine(kept, Path.GetFileName(file)));
}

Directory.Delete(deliveredLog, recursive: true);
return 0;
