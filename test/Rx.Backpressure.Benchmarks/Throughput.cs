using BenchmarkDotNet.Attributes;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// Throughput of every scenario with a fast and a slow consumer; Mean and Allocated are per item, and each invocation
/// records what it delivered (<see cref="DeliveredLog"/>) for the delivered items per second. Fifteen measured
/// iterations instead of the suite's five: on a shared machine a burst of load from elsewhere can spoil two or three
/// iterations of a case, and the median of five then moves with it.
/// </summary>
[IterationCount(15)]
public class Throughput
{
    public const int Items = 2_000_000;

    public static IEnumerable<string> Names => Benchmarks.Scenario.All.Select(s => s.Name);

    [ParamsSource(nameof(Names))]
    public string Scenario { get; set; } = string.Empty;

    [Params(false, true)]
    public bool SlowConsumer { get; set; }

    [GlobalCleanup]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet calls it on the instance.")]
    public void Cleanup() => Benchmarks.Scenario.Shutdown();

    /// <summary>One run; what it delivered, and in how long, is recorded for the report (see <see cref="DeliveredLog"/>).</summary>
    /// <returns>The outcome.</returns>
    [Benchmark(OperationsPerInvoke = Items)]
    public Task<Outcome> Run() => DeliveredLog.RunAsync(Benchmarks.Scenario.Named(Scenario), Items, SlowConsumer);
}
