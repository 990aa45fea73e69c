using System.Diagnostics;

namespace Rx.Backpressure.Benchmarks;

/// <summary>Runs this benchmark program again as a child process, for the runners that measure one case per process.</summary>
public static class ChildProcess
{
    /// <summary>The start of this program with <paramref name="args"/> (through <c>dotnet</c> when it was started that way).</summary>
    /// <param name="redirectOutput">Whether the child's standard output is read by the caller.</param>
    /// <param name="args">The child's arguments.</param>
    /// <returns>The start information.</returns>
    public static ProcessStartInfo Self(bool redirectOutput, params string[] args)
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = redirectOutput, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>Runs this program with <paramref name="args"/> to its end and returns the fields of its result line.</summary>
    /// <param name="tag">The first field of the line the child prints its result on.</param>
    /// <param name="args">The child's arguments.</param>
    /// <returns>The tab-separated fields of the first line starting with <paramref name="tag"/>, the tag included.</returns>
    public static async Task<string[]> RunAsync(string tag, params string[] args)
    {
        using var process = Process.Start(Self(redirectOutput: true, args))!;
        string output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return output.Split('\n').First(l => l.StartsWith(tag + "\t", StringComparison.Ordinal)).TrimEnd().Split('\t');
    }
}
