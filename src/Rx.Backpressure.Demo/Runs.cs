using System.Diagnostics;
using System.Reactive.Subjects;

namespace Rx.Backpressure.Demo;

/// <summary>One run of the overflowing sink through one way of bridging, with real threads and real time.</summary>
internal sealed class Runs
{
    private readonly DemoOptions _options;

    public Runs(DemoOptions options)
    {
        _options = options;
    }

    /// <summary>Gets every way the demo runs, in order: the unbounded contrast first, then each operator.</summary>
    public IReadOnlyList<(string Name, Func<RunProgress, Task<Row>> Run)> All =>
    [
        ("unbounded queue, as ObserveOn (for contrast)", p => Bridge(p, "unbounded queue, as ObserveOn (for contrast)", Unbounded, null, null)),
        ($"BufferBounded({_options.Capacity}, DropOldest)", p => BridgeCounted(p, $"BufferBounded({_options.Capacity}, DropOldest)", (s, c) => s.BufferBounded(_options.Capacity, BufferOverflow.DropOldest, counters: c, name: "demo"))),
        ($"DropWhenFull({_options.Capacity})", p => BridgeCounted(p, $"DropWhenFull({_options.Capacity})", (s, c) => s.DropWhenFull(_options.Capacity, counters: c, name: "demo"))),
        ($"SampleWhenFull({_options.Capacity / 16}, latest)", p => BridgeCounted(p, $"SampleWhenFull({_options.Capacity / 16}, latest)", (s, c) => s.SampleWhenFull(_options.Capacity / 16, counters: c, name: "demo"))),
        ($"SampleWhenFull({_options.Capacity / 16}, period 10 ms)", p => BridgeCounted(p, $"SampleWhenFull({_options.Capacity / 16}, period 10 ms)", (s, c) => s.SampleWhenFull(_options.Capacity / 16, TimeSpan.FromMilliseconds(10), counters: c, name: "demo"))),
        ($"ThrottleOnPressure({_options.Capacity}, {_options.Capacity / 4}) + PressureGate", p =>
        {
            var gate = new PressureGate();
            var counters = new BackpressureCounters();
            return Bridge(p, $"ThrottleOnPressure({_options.Capacity}, {_options.Capacity / 4}) + PressureGate", s => s.ThrottleOnPressure(_options.Capacity, _options.Capacity / 4, gate, counters: counters, name: "demo"), gate, counters);
        }),
        ($"pull: BufferBounded({_options.Capacity}, Wait)", p => Pull(p, $"pull: BufferBounded({_options.Capacity}, Wait)")),
    ];

    /// <summary>
    /// What Rx does between a fast producer and a slow consumer: an unbounded queue. (Ix's ToAsyncEnumerable is
    /// not used here: once its consumer waits, OnNext resumes the consumer's loop on the producer's own thread, so
    /// the producer is slowed by accident or not, depending on timing.)
    /// </summary>
    private static IAsyncEnumerable<int> Unbounded(IObservable<int> source)
    {
        var queue = System.Threading.Channels.Channel.CreateUnbounded<int>();
        source.Subscribe(x => queue.Writer.TryWrite(x), e => queue.Writer.TryComplete(e), () => queue.Writer.TryComplete());
        return queue.Reader.ReadAllAsync();
    }

    private Task<Row> BridgeCounted(RunProgress progress, string name, Func<IObservable<int>, BackpressureCounters, IAsyncEnumerable<int>> apply)
    {
        var counters = new BackpressureCounters();
        return Bridge(progress, name, s => apply(s, counters), null, counters);
    }

    private async Task<Row> Bridge(RunProgress progress, string name, Func<IObservable<int>, IAsyncEnumerable<int>> apply, PressureGate? gate, BackpressureCounters? counters)
    {
        var subject = new Subject<int>();
        long produced = 0;
        long delivered = 0;
        var sampler = new Sampler(() => counters?.Buffered ?? Interlocked.Read(ref produced) - Interlocked.Read(ref delivered));
        IAsyncEnumerable<int> sequence = apply(subject);
        var stopwatch = Stopwatch.StartNew();
        var ages = new Ages(_options.ItemsPerRun);

        var consumer = Task.Run(async () =>
        {
            await foreach (int item in sequence.ConfigureAwait(false))
            {
                ages.Delivered(item);
                Busy.Spin(_options.ConsumeMicroseconds);
                Interlocked.Increment(ref delivered);
                progress.Report(Interlocked.Read(ref produced), Interlocked.Read(ref delivered));
            }
        });
        while (!subject.HasObservers)
        {
            await Task.Yield();
        }

        var producer = Task.Run(() =>
        {
            long start = ages.Start();
            long total = (long)_options.ItemsPerRun;
            for (int i = 0; i < total; i++)
            {
                gate?.Wait();
                long due = start + (long)(i / _options.Rate * Stopwatch.Frequency);
                Busy.SpinUntil(due);
                ages.Pushing(i);
                subject.OnNext(i);
                Interlocked.Increment(ref produced);
                progress.Report(Interlocked.Read(ref produced), Interlocked.Read(ref delivered));
            }

            subject.OnCompleted();
        });

        await Task.WhenAll(producer, consumer).ConfigureAwait(false);
        stopwatch.Stop();
        var samples = sampler.Stop();
        return counters is null
            ? new Row(name, produced, delivered, 0, samples.Max(s => s.Held), stopwatch.Elapsed, samples, ages.Recorded)
            : new Row(name, produced, counters.Delivered, counters.Dropped, counters.PeakBuffered, stopwatch.Elapsed, samples, ages.Recorded);
    }

    private async Task<Row> Pull(RunProgress progress, string name)
    {
        var counters = new BackpressureCounters();
        long produced = 0;
        long delivered = 0;
        var sampler = new Sampler(() => counters.Buffered);
        var stopwatch = Stopwatch.StartNew();
        var ages = new Ages(_options.ItemsPerRun);

        async IAsyncEnumerable<int> Producer()
        {
            long start = ages.Start();
            long total = (long)_options.ItemsPerRun;
            for (int i = 0; i < total; i++)
            {
                Busy.SpinUntil(start + (long)(i / _options.Rate * Stopwatch.Frequency));
                Interlocked.Increment(ref produced);
                ages.Pushing(i);
                yield return i;
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }

        await foreach (int item in Producer().BufferBounded(_options.Capacity, counters: counters, name: "demo").ConfigureAwait(false))
        {
            ages.Delivered(item);
            Busy.Spin(_options.ConsumeMicroseconds);
            delivered++;
            progress.Report(Interlocked.Read(ref produced), delivered);
        }

        stopwatch.Stop();
        var samples = sampler.Stop();
        return new Row(name, produced, counters.Delivered, counters.Dropped, counters.PeakBuffered, stopwatch.Elapsed, samples, ages.Recorded);
    }

    /// <summary>
    /// The age of each delivered item: how stale the data is when the consumer sees it, from the moment the producer
    /// pushed it (a throttled producer pushes late, so its items are fresh). Each slot is written by the producer before
    /// it pushes the item and read by the consumer after it receives it.
    /// </summary>
    private sealed class Ages(double items)
    {
        private readonly long[] _pushedAt = new long[(long)items];
        private readonly List<(double Milliseconds, double AgeMilliseconds)> _recorded = [];
        private long _start;

        public IReadOnlyList<(double Milliseconds, double AgeMilliseconds)> Recorded => _recorded;

        public long Start()
        {
            long start = Stopwatch.GetTimestamp();
            Volatile.Write(ref _start, start);
            return start;
        }

        public void Pushing(int item) => Volatile.Write(ref _pushedAt[item], Stopwatch.GetTimestamp());

        public void Delivered(int item)
        {
            long now = Stopwatch.GetTimestamp();
            double since = (now - Volatile.Read(ref _start)) * 1000.0 / Stopwatch.Frequency;
            double age = (now - Volatile.Read(ref _pushedAt[item])) * 1000.0 / Stopwatch.Frequency;
            _recorded.Add((since, age));
        }
    }

    /// <summary>Samples the held count every 5 ms on its own thread.</summary>
    private sealed class Sampler
    {
        private readonly List<(double Milliseconds, long Held)> _samples = [];
        private readonly Thread _thread;
        private volatile bool _stop;

        public Sampler(Func<long> held)
        {
            var stopwatch = Stopwatch.StartNew();
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    _samples.Add((stopwatch.Elapsed.TotalMilliseconds, held()));
                    Thread.Sleep(5);
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public List<(double Milliseconds, long Held)> Stop()
        {
            _stop = true;
            _thread.Join();
            if (_samples.Count == 0)
            {
                _samples.Add((0, 0));
            }

            return _samples;
        }
    }
}
