using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure;
using Rx.Backpressure.Demo;

int items = args.Length > 0 && int.TryParse(args[0], out int n) && n > 0 ? n : 4_000;
var produceEvery = TimeSpan.FromMicroseconds(100);   // 10,000 items/s
var consumeCost = TimeSpan.FromMicroseconds(500);    //  2,000 items/s: the surge is 5x what the consumer can take

Console.WriteLine($"The overflowing sink: {items:N0} items pushed every {produceEvery.TotalMicroseconds:N0} µs into a consumer that needs {consumeCost.TotalMicroseconds:N0} µs each.");
Console.WriteLine();
Console.WriteLine($"{"operator",-46} {"produced",9} {"delivered",9} {"dropped",8} {"peak buffered",13} {"time",8}");

var rows = new List<Func<Task<Row>>>
{
    () => RunBridge("Ix ToAsyncEnumerable (unbounded, for contrast)", s => System.Linq.AsyncEnumerableEx.ToAsyncEnumerable(s), null),
    () => RunBridge("BufferBounded(256, DropOldest)", s => s.BufferBounded(256, BufferOverflow.DropOldest, counters: Counters()), null),
    () => RunBridge("DropWhenFull(256)", s => s.DropWhenFull(256, counters: Counters()), null),
    () => RunBridge("SampleWhenFull(16, latest)", s => s.SampleWhenFull(16, counters: Counters()), null),
    () => RunBridge("SampleWhenFull(16, period 10 ms)", s => s.SampleWhenFull(16, TimeSpan.FromMilliseconds(10), counters: Counters()), null),
    () =>
    {
        var gate = new PressureGate();
        return RunBridge("ThrottleOnPressure(256, 64) + PressureGate", s => s.ThrottleOnPressure(256, 64, gate, counters: Counters()), gate);
    },
    () => RunPull("pull: BufferBounded(256, Wait)", s => s.BufferBounded(256, counters: Counters())),
};

BackpressureCounters? current = null;
foreach (var run in rows)
{
    Row row = await run();
    Console.WriteLine($"{row.Name,-46} {row.Produced,9:N0} {row.Delivered,9:N0} {row.Dropped,8:N0} {row.Peak,13:N0} {row.Time.TotalSeconds,7:N2}s");
}

Console.WriteLine();
Console.WriteLine("The unbounded bridge holds whatever the consumer has not reached yet; every Rx.Backpressure operator holds at most its bound,");
Console.WriteLine("accounts for each item (delivered + dropped = produced), and ThrottleOnPressure / Wait lose nothing by slowing the producer.");
return 0;

BackpressureCounters Counters() => current = new BackpressureCounters();

async Task<Row> RunBridge(string name, Func<IObservable<int>, IAsyncEnumerable<int>> apply, PressureGate? gate)
{
    current = null;
    var subject = new Subject<int>();
    long produced = 0;
    long delivered = 0;
    long peakUnbounded = 0;
    IAsyncEnumerable<int> sequence = apply(subject);
    var stopwatch = Stopwatch.StartNew();

    var consumer = Task.Run(async () =>
    {
        await foreach (int item in sequence.ConfigureAwait(false))
        {
            Spin(consumeCost);
            Interlocked.Increment(ref delivered);
        }
    });
    while (!subject.HasObservers)
    {
        await Task.Yield();
    }

    var producer = Task.Run(() =>
    {
        long next = Stopwatch.GetTimestamp();
        for (int i = 0; i < items; i++)
        {
            gate?.Wait();
            next = Math.Max(next + Ticks(produceEvery), gate is null ? 0 : Stopwatch.GetTimestamp());
            SpinUntil(next);
            subject.OnNext(i);
            long held = Interlocked.Increment(ref produced) - Interlocked.Read(ref delivered);
            peakUnbounded = Math.Max(peakUnbounded, held);
        }

        subject.OnCompleted();
    });

    await Task.WhenAll(producer, consumer);
    stopwatch.Stop();
    BackpressureCounters? counters = current;
    return counters is null
        ? new Row(name, produced, delivered, 0, peakUnbounded, stopwatch.Elapsed)
        : new Row(name, produced, counters.Delivered, counters.Dropped, counters.PeakBuffered, stopwatch.Elapsed);
}

async Task<Row> RunPull(string name, Func<IAsyncEnumerable<int>, IAsyncEnumerable<int>> apply)
{
    current = null;
    long produced = 0;
    var stopwatch = Stopwatch.StartNew();

    async IAsyncEnumerable<int> Producer()
    {
        long next = Stopwatch.GetTimestamp();
        for (int i = 0; i < items; i++)
        {
            next += Ticks(produceEvery);
            SpinUntil(next);
            Interlocked.Increment(ref produced);
            yield return i;
        }

        await Task.CompletedTask;
    }

    await foreach (int item in apply(Producer()).ConfigureAwait(false))
    {
        Spin(consumeCost);
    }

    stopwatch.Stop();
    BackpressureCounters counters = current!;
    return new Row(name, produced, counters.Delivered, counters.Dropped, counters.PeakBuffered, stopwatch.Elapsed);
}

static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

static void Spin(TimeSpan span) => SpinUntil(Stopwatch.GetTimestamp() + Ticks(span));

static void SpinUntil(long timestamp)
{
    var spinner = default(SpinWait);
    while (Stopwatch.GetTimestamp() < timestamp)
    {
        spinner.SpinOnce(sleep1Threshold: -1);
    }
}
