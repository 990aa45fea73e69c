using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Spectre.Console;

namespace Rx.Backpressure.Demo;

/// <summary>
/// The second scene: the shapes at the end of a pipeline, on the same surge. A UI-like single-threaded scheduler kept
/// fresh through <c>SampleWhenFull(1).ObserveOn(…)</c> against Rx's own <c>ObserveOn</c>; a bulk writer fed by
/// <c>Batch</c> against one write per item; per-sensor readings through <c>LatestByKey</c>.
/// </summary>
internal static class Shapes
{
    /// <summary>Runs the three and prints what each consumer saw.</summary>
    /// <param name="options">The demo's options: the surge's rate and length, the consumer's cost per item.</param>
    /// <returns>A task that completes when all three have run.</returns>
    public static async Task RunAsync(DemoOptions options)
    {
        AnsiConsole.WriteLine();
        AnsiConsole.MarkupLine("[bold]At the end of the pipeline[/]: the same surge into a UI thread, a bulk writer and a per-sensor display.");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("consumer")
            .AddColumn("pipeline")
            .AddColumn(new TableColumn("produced").RightAligned())
            .AddColumn(new TableColumn("seen").RightAligned())
            .AddColumn(new TableColumn("peak held").RightAligned())
            .AddColumn(new TableColumn("age max").RightAligned())
            .AddColumn("notes");

        foreach (bool bounded in new[] { false, true })
        {
            var (produced, seen, peak, age, last) = await UiAsync(options, bounded);
            table.AddRow(
                "UI thread (event loop)",
                bounded ? "SampleWhenFull(1).ObserveOn(ui)" : "Rx ObserveOn(ui) (unbounded)",
                $"{produced:N0}",
                $"{seen:N0}",
                $"{peak:N0}",
                $"{age:N0} ms",
                last ? "shows the last value" : "last value missing");
        }

        foreach (bool batched in new[] { false, true })
        {
            var (produced, written, dropped, calls, age) = await BulkAsync(options, batched);
            table.AddRow(
                "bulk writer (fixed cost per call)",
                batched ? $"DropWhenFull({options.Capacity}).Batch(256)" : $"DropWhenFull({options.Capacity}), one write per item",
                $"{produced:N0}",
                $"{written:N0}",
                $"{options.Capacity:N0}",
                $"{age:N0} ms",
                $"{calls:N0} writes, {dropped:N0} dropped" + (calls > 0 ? $", {written / (double)calls:N1} per write" : string.Empty));
        }

        var sensors = await SensorsAsync(options);
        table.AddRow(
            "per-sensor display",
            $"LatestByKey(sensor, {SensorCount})",
            $"{sensors.Produced:N0}",
            $"{sensors.Seen:N0}",
            $"{sensors.Peak:N0}",
            $"{sensors.Age:N0} ms",
            $"{sensors.Replaced:N0} replaced by a newer reading, every sensor's last reading shown: {(sensors.AllLatest ? "yes" : "no")}");

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("Rx's ObserveOn queues every value for the UI, so the UI shows ever older data; the bounded ObserveOn keeps one in flight and the display current. Batch lets a bulk writer keep up with fewer, larger writes; LatestByKey keeps every sensor's latest reading and drops only superseded ones.");
    }

    private const int SensorCount = 100;

    /// <summary>A surge into a single-threaded "UI" scheduler whose update costs the consumer's time per item.</summary>
    private static async Task<(long Produced, long Seen, long Peak, double MaxAge, bool LastShown)> UiAsync(DemoOptions options, bool bounded)
    {
        using var ui = new EventLoopScheduler(start => new Thread(start) { IsBackground = true, Name = "ui" });
        var subject = new Subject<long>();
        var counters = new BackpressureCounters();
        long seen = 0;
        long lastShown = -1;
        double maxAge = 0;
        long produced = 0;
        long peak = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IObservable<long> pipeline = bounded ? subject.SampleWhenFull(1, counters: counters, name: "demo-ui").ObserveOn(ui) : subject.ObserveOn(ui);
        using IDisposable subscription = pipeline.Subscribe(
            timestamp =>
            {
                maxAge = Math.Max(maxAge, Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds);
                Busy.Spin(options.ConsumeMicroseconds);
                Interlocked.Increment(ref seen);
                Volatile.Write(ref lastShown, timestamp);
            },
            () => done.TrySetResult());

        long lastProduced = await Task.Run(() => Produce(options, i =>
        {
            long now = Stopwatch.GetTimestamp();
            subject.OnNext(now);
            produced++;
            peak = Math.Max(peak, bounded ? counters.Buffered + 1 : produced - Interlocked.Read(ref seen));
            return now;
        }));
        subject.OnCompleted();
        await done.Task;
        return (produced, seen, peak, maxAge, Volatile.Read(ref lastShown) == lastProduced);
    }

    /// <summary>A surge of log lines into a writer that costs a fixed overhead per call plus a little per line.</summary>
    private static async Task<(long Produced, long Written, long Dropped, long Calls, double MaxAge)> BulkAsync(DemoOptions options, bool batched)
    {
        var subject = new Subject<long>();
        var counters = new BackpressureCounters();
        IAsyncEnumerable<long> lines = subject.DropWhenFull(options.Capacity, counters: counters, name: "demo-bulk");
        long written = 0;
        long calls = 0;
        double maxAge = 0;
        double perCall = options.ConsumeMicroseconds;
        double perLine = options.ConsumeMicroseconds / 50;
        var writer = Task.Run(async () =>
        {
            if (batched)
            {
                await foreach (IReadOnlyList<long> batch in lines.Batch(256).ConfigureAwait(false))
                {
                    maxAge = Math.Max(maxAge, Stopwatch.GetElapsedTime(batch[0]).TotalMilliseconds);
                    Busy.Spin(perCall + (perLine * batch.Count));
                    written += batch.Count;
                    calls++;
                }
            }
            else
            {
                await foreach (long line in lines.ConfigureAwait(false))
                {
                    maxAge = Math.Max(maxAge, Stopwatch.GetElapsedTime(line).TotalMilliseconds);
                    Busy.Spin(perCall + perLine);
                    written++;
                    calls++;
                }
            }
        });
        while (!subject.HasObservers)
        {
            await Task.Yield();
        }

        long produced = 0;
        await Task.Run(() => Produce(options, i =>
        {
            long now = Stopwatch.GetTimestamp();
            subject.OnNext(now);
            produced++;
            return now;
        }));
        subject.OnCompleted();
        await writer;
        return (produced, written, counters.Dropped, calls, maxAge);
    }

    /// <summary>Readings from <see cref="SensorCount"/> sensors in turn, into a display that shows one reading at the consumer's pace.</summary>
    private static async Task<(long Produced, long Seen, long Peak, long Replaced, double Age, bool AllLatest)> SensorsAsync(DemoOptions options)
    {
        var subject = new Subject<(int Sensor, long Timestamp, long Sequence)>();
        var counters = new BackpressureCounters();
        var shown = new long[SensorCount];
        Array.Fill(shown, -1);
        var lastProduced = new long[SensorCount];
        long seen = 0;
        double maxAge = 0;
        var display = Task.Run(async () =>
        {
            await foreach (var reading in subject.LatestByKey(r => r.Sensor, SensorCount, counters: counters, name: "demo-sensors").ConfigureAwait(false))
            {
                maxAge = Math.Max(maxAge, Stopwatch.GetElapsedTime(reading.Timestamp).TotalMilliseconds);
                Busy.Spin(options.ConsumeMicroseconds);
                shown[reading.Sensor] = reading.Sequence;
                seen++;
            }
        });
        while (!subject.HasObservers)
        {
            await Task.Yield();
        }

        long produced = 0;
        await Task.Run(() => Produce(options, i =>
        {
            int sensor = (int)(i % SensorCount);
            lastProduced[sensor] = i;
            long now = Stopwatch.GetTimestamp();
            subject.OnNext((sensor, now, i));
            produced++;
            return now;
        }));
        subject.OnCompleted();
        await display;
        bool allLatest = shown.AsSpan().SequenceEqual(lastProduced.AsSpan()[..SensorCount]);
        return (produced, seen, counters.PeakBuffered, counters.DroppedBy(DropReason.Replaced), maxAge, allLatest);
    }

    /// <summary>Pushes items at the demo's rate for its length; returns what the last push returned.</summary>
    private static long Produce(DemoOptions options, Func<long, long> push)
    {
        long start = Stopwatch.GetTimestamp();
        long total = (long)options.ItemsPerRun;
        long last = 0;
        for (long i = 0; i < total; i++)
        {
            Busy.SpinUntil(start + (long)(i / options.Rate * Stopwatch.Frequency));
            last = push(i);
        }

        return last;
    }
}
