using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Rx.Backpressure.Benchmarks;

/// <summary>Millions of items per second, from the mean time per item.</summary>
public sealed class ItemsPerSecondColumn : IColumn
{
    public string Id => "ItemsPerSecond";

    public string ColumnName => "M items/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Millions of items per second (1 / mean time per item)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? ns = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return ns is > 0 ? (1e3 / ns.Value).ToString("N2", CultureInfo.InvariantCulture) : "-";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
