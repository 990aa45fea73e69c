using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Demo;

/// <summary>
/// Renders the marble diagrams of docs/ from recorded virtual-time runs of each operator:
/// <c>dotnet run --project src/Rx.Backpressure.Demo -- --diagrams docs/diagrams</c>.
/// </summary>
internal static class Diagrams
{
    public static void WriteAll(string directory)
    {
        Directory.CreateDirectory(directory);
        Write(directory, "buffer-bounded.svg", "BufferBounded(2, DropOldest), consumer needs 30 ticks per item", 200, 340, 30,
            [ReactiveTest.OnNext(210, 1), ReactiveTest.OnNext(215, 2), ReactiveTest.OnNext(220, 3), ReactiveTest.OnNext(225, 4), ReactiveTest.OnNext(245, 5), ReactiveTest.OnCompleted<int>(250)],
            (xs, s, drop) => xs.BufferBounded(2, BufferOverflow.DropOldest, drop, s));
        Write(directory, "drop-when-full.svg", "DropWhenFull(2), consumer needs 25 ticks per item", 200, 310, 25,
            [ReactiveTest.OnNext(210, 1), ReactiveTest.OnNext(211, 2), ReactiveTest.OnNext(212, 3), ReactiveTest.OnNext(213, 4), ReactiveTest.OnNext(214, 5), ReactiveTest.OnCompleted<int>(300)],
            (xs, s, drop) => xs.DropWhenFull(2, drop, s));
        Write(directory, "sample-when-full-latest.svg", "SampleWhenFull(1), latest wins, consumer needs 20 ticks per item", 200, 310, 20,
            [ReactiveTest.OnNext(210, 1), ReactiveTest.OnNext(211, 2), ReactiveTest.OnNext(212, 3), ReactiveTest.OnNext(213, 4), ReactiveTest.OnNext(214, 5), ReactiveTest.OnCompleted<int>(300)],
            (xs, s, drop) => xs.SampleWhenFull(1, null, drop, s));
        Write(directory, "sample-when-full-period.svg", "SampleWhenFull(1, period 10), consumer needs 50 ticks per item", 200, 320, 50,
            [ReactiveTest.OnNext(210, 1), ReactiveTest.OnNext(211, 2), ReactiveTest.OnNext(212, 3), ReactiveTest.OnNext(215, 4), ReactiveTest.OnNext(225, 5), ReactiveTest.OnNext(230, 6), ReactiveTest.OnCompleted<int>(300)],
            (xs, s, drop) => xs.SampleWhenFull(1, TimeSpan.FromTicks(10), drop, s));
        Write(directory, "latest-by-key.svg", "LatestByKey(key = value / 10, capacity 2), consumer needs 20 ticks per item", 200, 320, 20,
            [ReactiveTest.OnNext(210, 10), ReactiveTest.OnNext(211, 20), ReactiveTest.OnNext(212, 30), ReactiveTest.OnNext(213, 21), ReactiveTest.OnNext(214, 31), ReactiveTest.OnNext(215, 40), ReactiveTest.OnNext(240, 22), ReactiveTest.OnCompleted<int>(300)],
            (xs, s, drop) => xs.LatestByKey(x => x / 10, 2, onDropped: drop, scheduler: s));
        WriteThrottle(directory);
        WriteBatch(directory);
        WriteObserveOn(directory);
        Console.WriteLine($"wrote the diagrams to {Path.GetFullPath(directory)}");
    }

    private static void Write(
        string directory,
        string file,
        string title,
        long start,
        long end,
        long processing,
        Recorded<System.Reactive.Notification<int>>[] source,
        Func<IObservable<int>, TestScheduler, Action<int>, IAsyncEnumerable<int>> apply)
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(source);
        var drops = new List<Recorded<int>>();
        var pulls = new List<long>();
        var res = scheduler.StartPull(() => apply(xs, scheduler, v => drops.Add(new Recorded<int>(scheduler.Clock, v))), processing, pulls: pulls);
        string svg = new MarbleDiagram(title, start, end)
            .AddLane("source", source)
            .AddTicks("consumer pulls", pulls)
            .AddLane("delivered", res.Messages)
            .AddDrops("dropped", drops)
            .ToSvg();
        File.WriteAllText(Path.Combine(directory, file), svg);
    }

    private static void WriteThrottle(string directory)
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdAsyncEnumerable(Enumerable.Range(1, 10).Select(i => ReactiveTest.OnNext(9 + i, i)).Append(ReactiveTest.OnCompleted<int>(20)).ToArray());
        var pressure = scheduler.CreateObserver<bool>();
        var pulls = new List<long>();
        var res = scheduler.StartPull(() => xs.ThrottleOnPressure(3, 1, pressure, scheduler: scheduler), 10, pulls: pulls);
        string svg = new MarbleDiagram("ThrottleOnPressure(3, 1), pull shape, consumer needs 10 ticks per item", 200, 320)
            .AddTicks("source asked", xs.Requests)
            .AddTicks("consumer pulls", pulls)
            .AddLane("delivered", res.Messages)
            .AddLane("pressure", pressure.Messages, on => on ? "on" : "off")
            .ToSvg();
        File.WriteAllText(Path.Combine(directory, "throttle-on-pressure.svg"), svg);
    }

    private static void WriteBatch(string directory)
    {
        var scheduler = new TestScheduler();
        Recorded<System.Reactive.Notification<int>>[] source =
            [.. Enumerable.Range(1, 7).Select(i => ReactiveTest.OnNext(210 + i, i)), ReactiveTest.OnNext(270, 8), ReactiveTest.OnCompleted<int>(300)];
        var xs = scheduler.CreateHotObservable(source);
        var pulls = new List<long>();
        var res = scheduler.StartPull(() => xs.DropWhenFull(16, scheduler: scheduler).Batch(3), 20, pulls: pulls);
        string svg = new MarbleDiagram("DropWhenFull(16).Batch(3), consumer needs 20 ticks per batch", 200, 320)
            .AddLane("source", source)
            .AddTicks("consumer pulls", pulls)
            .AddLane("batches", res.Messages, batch => string.Join(",", batch))
            .ToSvg();
        File.WriteAllText(Path.Combine(directory, "batch.svg"), svg);
    }

    private static void WriteObserveOn(string directory)
    {
        var scheduler = new TestScheduler();
        Recorded<System.Reactive.Notification<int>>[] source =
            [.. Enumerable.Range(1, 8).Select(i => ReactiveTest.OnNext(205 + (5 * i), i)), ReactiveTest.OnCompleted<int>(300)];
        var xs = scheduler.CreateHotObservable(source);
        var delivered = scheduler.CreateObserver<int>();
        var drops = new List<Recorded<int>>();
        scheduler.ScheduleAbsolute(200, () => xs.SampleWhenFull(1, null, v => drops.Add(new Recorded<int>(scheduler.Clock, v)), scheduler).ObserveOn(scheduler).Subscribe(delivered));
        scheduler.Start();
        string svg = new MarbleDiagram("SampleWhenFull(1).ObserveOn(scheduler): each item reaches the free observer at the tick it arrives", 200, 320)
            .AddLane("source", source)
            .AddLane("observer", delivered.Messages)
            .AddDrops("dropped", drops)
            .ToSvg();
        File.WriteAllText(Path.Combine(directory, "observe-on.svg"), svg);
    }
}
