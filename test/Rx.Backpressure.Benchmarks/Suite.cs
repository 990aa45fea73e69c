using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Rx.Backpressure.Benchmarks;

/// <summary>The BenchmarkDotNet configuration: a short job (the whole suite runs in minutes), memory diagnoser, items/s.</summary>
public static class Suite
{
    public static IConfig Config() => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.ShortRun.WithIterationCount(5).WithId("short"))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(new ItemsPerSecondColumn())
        .AddExporter(MarkdownExporter.GitHub)
        .WithOptions(ConfigOptions.DisableLogFile);
}
