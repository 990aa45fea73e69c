using System;
using System.Globalization;
using System.IO;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// Writes the reliability figures of this run (cases generated, schedules compared, items pushed, races tried) to
/// the file named by the RELIABILITY_FIGURES environment variable, for docs/generate-reliability.sh.
/// </summary>
[SetUpFixture]
public sealed class ReliabilityFigures
{
    [OneTimeTearDown]
    public void Write()
    {
        string? path = Environment.GetEnvironmentVariable("RELIABILITY_FIGURES");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        string Line(string key, long value) => string.Create(CultureInfo.InvariantCulture, $"{key}={value}");
        File.WriteAllLines(
            path,
            [
                Line("differential_schedules", DifferentialTests.Schedules),
                Line("differential_items", DifferentialTests.Items),
                Line("linearizability_operations", LinearizabilityTests.Operations),
                Line("stress_runs", StressTests.Runs),
                Line("stress_items", StressTests.ItemsPushed),
                Line("cancellation_races", CleanupTests.Races),
            ]);
    }
}
