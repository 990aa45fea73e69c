using System.Globalization;
using Rx.Backpressure.Benchmarks;

// Modes:
//   (none)             the BenchmarkDotNet suite (throughput and allocation, fast and slow consumer, short job)
//   --quick            every scenario once, small, in process — proves everything compiles and runs (CI); no timings judged
//   --overload         1M and 5M items surged into a slow consumer, one child process per scenario and size
//   --overload-one S N one such run (child process); prints a result line
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
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        Outcome o = await probe.Run(int.Parse(args[2], CultureInfo.InvariantCulture), bool.Parse(args[3]));
        Console.WriteLine($"{probe.Name}: delivered {o.Delivered:N0} of {o.Produced:N0} ({o.DeliveredFraction:P1}) in {stopwatch.Elapsed.TotalMilliseconds:N1} ms");
    }

    Scenario.Shutdown();
    return 0;
}

if (args.Length >= 3 && args[0] == "--overload-one")
{
    return await Overload.RunOneAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
}

if (args.Length >= 3 && args[0] == "--fan-out-server")
{
    return await FanOutScale.ServeAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
}

if (args.Contains("--fan-out"))
{
    return await FanOutScale.RunAsync(Overload.OutputDirectory(args), quick: args.Contains("--small"));
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
var summaries = BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Scenario).Assembly).Run(bdnArgs, Suite.Config());
await Report.WriteAsync(summaries, Overload.OutputDirectory(args));
return 0;
