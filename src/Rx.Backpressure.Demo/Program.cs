using Rx.Backpressure.Demo;
using ScottPlot;
using Spectre.Console;

if (args.Length == 2 && args[0] == "--diagrams")
{
    Diagrams.WriteAll(args[1]);
    return 0;
}

DemoOptions? options = DemoOptions.Parse(args, Console.Error);
if (options is null)
{
    Console.WriteLine(DemoOptions.Usage);
    return args.Any(a => a is "--help" or "-h" or "-?") ? 0 : 2;
}

AnsiConsole.MarkupLine($"[bold]The overflowing sink[/]: {options.ItemsPerRun:N0} items pushed at {options.Rate:N0}/s into a consumer that needs {options.ConsumeMicroseconds:N0} µs each ({1e6 / options.ConsumeMicroseconds:N0}/s).");
var runs = new Runs(options).All;
var rows = new List<Row>();

if (options.Live)
{
    await AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
        .StartAsync(async context =>
        {
            foreach (var (name, run) in runs)
            {
                var produced = context.AddTask($"{Markup.Escape(name)}: produced", maxValue: options.ItemsPerRun);
                var delivered = context.AddTask("  delivered", maxValue: options.ItemsPerRun);
                var progress = new RunProgress();
                Task<Row> running = run(progress);
                while (!running.IsCompleted)
                {
                    produced.Value = progress.Produced;
                    delivered.Value = progress.Delivered;
                    await Task.WhenAny(running, Task.Delay(100));
                }

                Row row = await running;
                produced.Value = row.Produced;
                delivered.Value = row.Delivered;
                produced.StopTask();
                delivered.StopTask();
                rows.Add(row);
            }
        });
}
else
{
    foreach (var (name, run) in runs)
    {
        Console.WriteLine($"running {name} …");
        rows.Add(await run(new RunProgress()));
    }
}

var table = new Table().Border(TableBorder.Rounded)
    .AddColumn("operator")
    .AddColumn(new TableColumn("produced").RightAligned())
    .AddColumn(new TableColumn("delivered").RightAligned())
    .AddColumn(new TableColumn("dropped").RightAligned())
    .AddColumn(new TableColumn("peak held").RightAligned())
    .AddColumn(new TableColumn("age p50").RightAligned())
    .AddColumn(new TableColumn("age max").RightAligned())
    .AddColumn(new TableColumn("time").RightAligned());
foreach (Row row in rows)
{
    table.AddRow(
        Markup.Escape(row.Name),
        $"{row.Produced:N0}",
        $"{row.Delivered:N0}",
        $"{row.Dropped:N0}",
        $"{row.Peak:N0}",
        $"{row.MedianAge:N0} ms",
        $"{row.MaxAge:N0} ms",
        $"{row.Time.TotalSeconds:N2} s");
}

AnsiConsole.Write(table);

var plot = new Plot();
plot.Add.Palette = new ScottPlot.Palettes.Category10();
foreach (Row row in rows)
{
    var line = plot.Add.Scatter(row.Samples.Select(s => s.Milliseconds).ToArray(), row.Samples.Select(s => (double)s.Held).ToArray());
    line.LegendText = row.Name;
    line.MarkerSize = 0;
    line.LineWidth = row.Name.StartsWith("unbounded", StringComparison.Ordinal) ? 3 : 2;
}

plot.Title($"Items held between producer ({options.Rate:N0}/s) and consumer ({1e6 / options.ConsumeMicroseconds:N0}/s)");
plot.XLabel("milliseconds since the run started");
plot.YLabel("items held");
plot.ShowLegend(Alignment.UpperRight);
plot.SavePng(options.Plot, 1100, 600);

// The second plot: how stale each delivered item was when the consumer saw it.
var agePlot = new Plot();
agePlot.Add.Palette = new ScottPlot.Palettes.Category10();
foreach (Row row in rows)
{
    var points = agePlot.Add.Scatter(row.Ages.Select(a => a.Milliseconds).ToArray(), row.Ages.Select(a => a.AgeMilliseconds).ToArray());
    points.LegendText = row.Name;
    points.MarkerSize = 0;
    points.LineWidth = row.Name.StartsWith("unbounded", StringComparison.Ordinal) ? 3 : 2;
}

agePlot.Title("Age of each item when the consumer gets it: unbounded grows with the surge, bounded stays bounded");
agePlot.XLabel("milliseconds since the run started");
agePlot.YLabel("item age at delivery (ms)");
agePlot.ShowLegend(Alignment.UpperLeft);
string agePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.Plot))!, Path.GetFileNameWithoutExtension(options.Plot) + "-age.png");
agePlot.SavePng(agePath, 1100, 600);

AnsiConsole.MarkupLine($"Plot of items held over time: [link]{Markup.Escape(Path.GetFullPath(options.Plot))}[/]");
AnsiConsole.MarkupLine($"Plot of item age at delivery: [link]{Markup.Escape(agePath)}[/]");
AnsiConsole.MarkupLine("The unbounded bridge holds whatever the consumer has not reached yet, so its data arrives ever later; every Rx.Backpressure operator holds at most its bound, accounts for every item (delivered + dropped = produced), keeps the data's age bounded, and ThrottleOnPressure / Wait lose nothing by slowing the producer.");

await Shapes.RunAsync(options);
return 0;
