using System.Diagnostics;
using System.Globalization;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// What each throughput invocation delivered and how long it took, measured inside the very invocation
/// BenchmarkDotNet times. The benchmark process appends one line per invocation to a file per case, in the directory
/// the host names in <see cref="DirectoryVariable"/> (BenchmarkDotNet starts that process with the host's
/// environment); the report then takes delivered items per second from the same runs as the timings. Before, it
/// multiplied the median rate by the median delivered fraction of five separate runs in the host, and the lossy ratios
/// swung with that fraction.
/// </summary>
public static class DeliveredLog
{
    /// <summary>The environment variable that names the directory; without it nothing is recorded.</summary>
    public const string DirectoryVariable = "RXBP_DELIVERED_LOG";

    /// <summary>Invocations of a case that are left out: BenchmarkDotNet's first runs of a method compile it.</summary>
    public const int Skipped = 3;

    /// <summary>Runs a scenario and, when the host asked for it, records what it delivered in how long.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="items">How many items it pushes.</param>
    /// <param name="slow">Whether the consumer is slow.</param>
    /// <returns>The outcome.</returns>
    public static async Task<Outcome> RunAsync(Scenario scenario, int items, bool slow)
    {
        var stopwatch = Stopwatch.StartNew();
        Outcome outcome = await scenario.Run(items, slow).ConfigureAwait(false);
        double seconds = stopwatch.Elapsed.TotalSeconds;
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } directory)
        {
            string line = string.Create(CultureInfo.InvariantCulture, $"{outcome.Produced}\t{outcome.Delivered}\t{seconds:R}\n");
            await File.AppendAllTextAsync(PathOf(directory, scenario.Name, slow), line).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>The medians of a case's recorded invocations, leaving out the first <see cref="Skipped"/>.</summary>
    /// <param name="directory">The directory the host named.</param>
    /// <param name="scenario">The scenario's name.</param>
    /// <param name="slow">Whether the consumer was slow.</param>
    /// <returns>Median delivered items per second, median delivered fraction and how many invocations; null if none was recorded.</returns>
    public static (double DeliveredPerSecond, double Fraction, int Runs)? Read(string directory, string scenario, bool slow)
    {
        string path = PathOf(directory, scenario, slow);
        if (!File.Exists(path))
        {
            return null;
        }

        var runs = File.ReadAllLines(path)
            .Select(line => line.Split('\t'))
            .Select(f => (Produced: long.Parse(f[0], CultureInfo.InvariantCulture), Delivered: long.Parse(f[1], CultureInfo.InvariantCulture), Seconds: double.Parse(f[2], CultureInfo.InvariantCulture)))
            .Skip(Skipped)
            .ToList();
        if (runs.Count == 0)
        {
            return null;
        }

        return (Statistics.Median(runs.Select(r => r.Delivered / r.Seconds)), Statistics.Median(runs.Select(r => r.Produced == 0 ? 1 : (double)r.Delivered / r.Produced)), runs.Count);
    }

    /// <summary>The file of a case: its name with anything but letters and digits replaced.</summary>
    private static string PathOf(string directory, string scenario, bool slow)
    {
        string name = new(scenario.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return Path.Combine(directory, $"{name}{(slow ? ".slow" : ".fast")}.tsv");
    }
}
