using System.Globalization;

namespace Rx.Backpressure.Demo;

/// <summary>The demo's command-line options, with defaults that finish in well under a minute.</summary>
internal sealed record DemoOptions(double Rate, double ConsumeMicroseconds, int Capacity, double Seconds, string Plot, bool Live)
{
    public const string Usage = """
        The overflowing sink: a producer surging at several times a slow consumer's pace, through each operator in turn.

        Usage: dotnet run --project src/Rx.Backpressure.Demo -- [options]

          --rate <items/s>        producer's pace                        (default 20000)
          --consume-us <µs>       consumer's time per item               (default 200, i.e. 5000 items/s)
          --capacity <n>          each operator's bound                  (default 256)
          --seconds <s>           how long the producer surges per run   (default 1)
          --plot <file.png>       where to write the plot of buffered items over time (default overflowing-sink.png)
          --no-live               no live progress display (also when output is redirected)
          --help                  this text
          --diagrams <dir>        instead: render the marble diagrams of docs/ from virtual-time runs
        """;

    public double ItemsPerRun => Rate * Seconds;

    public static DemoOptions? Parse(string[] args, TextWriter error)
    {
        var options = new DemoOptions(20_000, 200, 256, 1, "overflowing-sink.png", !Console.IsOutputRedirected);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "--help" or "-h" or "-?")
            {
                return null;
            }

            if (arg == "--no-live")
            {
                options = options with { Live = false };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error.WriteLine($"{arg} needs a value.");
                return null;
            }

            string value = args[++i];
            bool ok = true;
            switch (arg)
            {
                case "--rate": ok = Positive(value, out double rate); options = options with { Rate = rate }; break;
                case "--consume-us": ok = Positive(value, out double us); options = options with { ConsumeMicroseconds = us }; break;
                case "--capacity": ok = int.TryParse(value, CultureInfo.InvariantCulture, out int capacity) && capacity > 0; options = options with { Capacity = capacity }; break;
                case "--seconds": ok = Positive(value, out double seconds) && seconds <= 20; options = options with { Seconds = seconds }; break;
                case "--plot": options = options with { Plot = value }; break;
                default: error.WriteLine($"Unknown option {arg}."); return null;
            }

            if (!ok)
            {
                error.WriteLine($"{arg}: '{value}' is not a valid value.");
                return null;
            }
        }

        return options;
    }

    private static bool Positive(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value > 0;
}
