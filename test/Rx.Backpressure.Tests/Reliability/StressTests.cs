using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// Invariants under real concurrency, for every operator and overflow mode in both shapes: producers on other
/// threads (several calling OnNext at once, a contract violation the buffer must survive), a consumer with random
/// delays, random cancellation and early DisposeAsync. Bounded run time; no timing assertions.
/// </summary>
[Category("Stress")]
[CancelAfter(120_000)]
public sealed class StressTests
{
    private static readonly int Rounds = int.TryParse(Environment.GetEnvironmentVariable("STRESS_ROUNDS"), out int r) && r > 0 ? r : 4;
    private static long _itemsPushed;
    private static long _runs;

    public static long ItemsPushed => Interlocked.Read(ref _itemsPushed);

    public static long Runs => Interlocked.Read(ref _runs);

    public static IEnumerable<TestCaseData> Configurations()
    {
        foreach (var overflow in new[] { BufferOverflow.Error, BufferOverflow.DropOldest, BufferOverflow.DropNewest, BufferOverflow.DropIncoming })
        {
            yield return Case($"bridge BufferBounded(16, {overflow})", false, 16, 0, (s, d, c) => s.Push.BufferBounded(16, overflow, d, counters: c));
        }

        yield return Case("bridge DropWhenFull(0)", false, 0, 0, (s, d, c) => s.Push.DropWhenFull(0, d, counters: c));
        yield return Case("bridge DropWhenFull(8)", false, 8, 0, (s, d, c) => s.Push.DropWhenFull(8, d, counters: c));
        yield return Case("bridge SampleWhenFull(4)", false, 4, 1, (s, d, c) => s.Push.SampleWhenFull(4, null, d, counters: c));
        yield return Case("bridge SampleWhenFull(2, 1 ms)", false, 2, 1, (s, d, c) => s.Push.SampleWhenFull(2, TimeSpan.FromMilliseconds(1), d, counters: c));
        yield return Case("bridge ThrottleOnPressure(8, 2, gate)", false, 16, 0, (s, d, c) => s.Push.ThrottleOnPressure(8, 2, s.Gate, 16, BufferOverflow.DropIncoming, d, counters: c), cooperative: true);
        yield return Case("bridge LatestByKey(8, distinct keys)", false, 8, 0, (s, d, c) => s.Push.LatestByKey(x => x, 8, onDropped: d, counters: c));
        yield return Case("bridge ThrottleOnPressure(8, 2, ignored)", false, 12, 0, (s, d, c) => s.Push.ThrottleOnPressure(8, 2, s.Touching, 12, BufferOverflow.DropOldest, d, counters: c));

        foreach (var overflow in Enum.GetValues<BufferOverflow>())
        {
            yield return Case($"pull BufferBounded(16, {overflow})", true, 16, 0, (s, d, c) => s.Pull.BufferBounded(16, overflow, d, counters: c));
        }

        yield return Case("pull DropWhenFull(4)", true, 4, 0, (s, d, c) => s.Pull.DropWhenFull(4, d, counters: c));
        yield return Case("pull SampleWhenFull(4)", true, 4, 1, (s, d, c) => s.Pull.SampleWhenFull(4, null, d, counters: c));
        yield return Case("pull SampleWhenFull(2, 1 ms)", true, 2, 1, (s, d, c) => s.Pull.SampleWhenFull(2, TimeSpan.FromMilliseconds(1), d, counters: c));
        yield return Case("pull LatestByKey(8, distinct keys, Wait)", true, 8, 0, (s, d, c) => s.Pull.LatestByKey(x => x, 8, BufferOverflow.Wait, d, counters: c));
        yield return Case("pull ThrottleOnPressure(8, 2)", true, 8, 0, (s, d, c) => s.Pull.ThrottleOnPressure(8, 2, s.Touching, d, counters: c));
    }

    [TestCaseSource(nameof(Configurations))]
    public async Task Stress_EveryItemDeliveredOrDroppedExactlyOnce_OrderKept_Bounded(Configuration configuration)
    {
        var random = new Random(configuration.Name.GetHashCode(StringComparison.Ordinal));
        for (int round = 0; round < Rounds * 3; round++)
        {
            int producers = configuration.Pull ? 1 : 1 + (round % 3);
            var stop = (StopMode)(round % 3);
            await RunOnce(configuration, producers, itemsPerProducer: 5_000 + random.Next(5_000), stop, random.Next());
        }
    }

    private static async Task RunOnce(Configuration configuration, int producerCount, int itemsPerProducer, StopMode stop, int seed)
    {
        Interlocked.Increment(ref _runs);
        var harness = new Harness(producerCount, configuration.Pull);
        var counters = new BackpressureCounters();
        long droppedCalls = 0;
        var sequence = configuration.Apply(
            harness,
            item =>
            {
                Interlocked.Increment(ref droppedCalls);
                harness.TouchFromAnotherThread();
            },
            counters);

        using var cts = new CancellationTokenSource();
        var delivered = new List<long>();
        Exception? unexpected = null;
        int stopAfter = new Random(seed).Next(1, 200);
        bool done = false;

        var sampler = Task.Run(() =>
        {
            long max = 0;
            while (!Volatile.Read(ref done))
            {
                max = Math.Max(max, counters.Buffered);
                Thread.SpinWait(50);
            }

            return max;
        });

        var consumer = Task.Run(async () =>
        {
            var rnd = new Random(seed);
            try
            {
                await foreach (long item in sequence.WithCancellation(cts.Token))
                {
                    delivered.Add(item);
                    if (rnd.Next(8) == 0)
                    {
                        Thread.SpinWait(rnd.Next(200));
                    }

                    if (rnd.Next(64) == 0)
                    {
                        await Task.Yield();
                    }

                    if (stop == StopMode.Cancel && delivered.Count == stopAfter)
                    {
                        _ = Task.Run(cts.Cancel);
                    }

                    if (stop == StopMode.Break && delivered.Count == stopAfter)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (stop == StopMode.Cancel)
            {
            }
            catch (BufferOverflowException) when (configuration.Name.Contains("Error", StringComparison.Ordinal))
            {
            }
            catch (Exception ex)
            {
                unexpected = ex;
            }
        });

        await harness.WhenSubscribed(consumer);
        var production = harness.Produce(itemsPerProducer);
        await consumer;

        await production;

        // A sampling window's timer may still be reporting an item it evicted at a close: counted under the buffer's
        // lock, reported to onDropped just after it. Wait (bounded) for that report rather than race it.
        SpinWait.SpinUntil(() => counters.Dropped == Interlocked.Read(ref droppedCalls), TimeSpan.FromSeconds(10));
        Volatile.Write(ref done, true);
        long maxBuffered = await sampler;
        Interlocked.Add(ref _itemsPushed, harness.Produced);

        string context = $"{configuration.Name}, {producerCount} producers x {itemsPerProducer}, stop {stop}, seed {seed}";
        Assert.That(unexpected, Is.Null, context);
        Assert.That(counters.Received, Is.EqualTo(harness.Produced), $"every produced item reached the operator: {context}");
        Assert.That(delivered.Count + Interlocked.Read(ref droppedCalls), Is.EqualTo(harness.Produced), $"delivered + dropped = produced: {context}");
        Assert.That(counters.Delivered, Is.EqualTo(delivered.Count), context);
        Assert.That(counters.Dropped, Is.EqualTo(Interlocked.Read(ref droppedCalls)), context);
        Assert.That(counters.Buffered, Is.Zero, context);
        Assert.That(maxBuffered, Is.LessThanOrEqualTo(configuration.Capacity + configuration.Extra), $"bounded: {context}");
        Assert.That(counters.PeakBuffered, Is.LessThanOrEqualTo(configuration.Capacity + configuration.Extra), $"bounded: {context}");
        foreach (var perProducer in delivered.Where(v => v >= 0).GroupBy(v => v / Harness.Stride))
        {
            Assert.That(perProducer, Is.Ordered.Ascending, $"order per producer: {context}");
        }

        Assert.That(harness.TouchTimeouts, Is.Zero, $"a callback that touches the operator from another thread never blocked: {context}");
    }

    private static TestCaseData Case(string name, bool pull, int capacity, int extra, Func<Harness, Action<long>, BackpressureCounters, IAsyncEnumerable<long>> apply, bool cooperative = false) =>
        new TestCaseData(new Configuration(name, pull, capacity, extra, apply, cooperative)).SetArgDisplayNames(name);

    public enum StopMode
    {
        RunToEnd,
        Cancel,
        Break,
    }

    public sealed record Configuration(string Name, bool Pull, int Capacity, int Extra, Func<Harness, Action<long>, BackpressureCounters, IAsyncEnumerable<long>> Apply, bool Cooperative)
    {
        public override string ToString() => Name;
    }

    /// <summary>Producers on other threads; a push source with no Rx safety wrapper, or a pull source fed by them.</summary>
    public sealed class Harness : IObservable<long>
    {
        public const long Stride = 1_000_000_000;
        private const int MaxTouches = 16;

        private readonly int _producers;
        private readonly bool _pull;
        private readonly Lock _touchGate = new();
        private readonly Channel<long> _channel = Channel.CreateUnbounded<long>();
        private IObserver<long>? _observer;
        private long _produced;
        private long _yielded;
        private long _touches;
        private long _touchTimeouts;
        private bool _touchesAllowed = true;
        private int _activeTouches;

        public Harness(int producers, bool pull)
        {
            _producers = producers;
            _pull = pull;
            Touching = System.Reactive.Observer.Create<bool>(_ => TouchFromAnotherThread());
        }

        public IObservable<long> Push => this;

        public IAsyncEnumerable<long> Pull => Counted();

        public PressureGate Gate { get; } = new();

        public IObserver<bool> Touching { get; }

        /// <summary>Gets what the operator was given: every push, or (pull) every item the source yielded to the pump.</summary>
        public long Produced => _pull ? Interlocked.Read(ref _yielded) : Interlocked.Read(ref _produced);

        public long TouchTimeouts => Interlocked.Read(ref _touchTimeouts);

        public IDisposable Subscribe(IObserver<long> observer)
        {
            Volatile.Write(ref _observer, observer);
            return System.Reactive.Disposables.Disposable.Empty;   // keeps pushing after dispose: late items must be reported
        }

        public async Task WhenSubscribed(Task consumer)
        {
            if (_pull)
            {
                return;
            }

            while (Volatile.Read(ref _observer) is null && !consumer.IsCompleted)
            {
                await Task.Yield();
            }
        }

        public async Task Produce(int itemsPerProducer)
        {
            var tasks = Enumerable.Range(0, _producers).Select(p => Task.Run(async () =>
            {
                for (int i = 0; i < itemsPerProducer; i++)
                {
                    if (!_pull)
                    {
                        await Gate.WaitAsync();
                    }

                    Push1((p * Stride) + i);
                }
            })).ToArray();
            await Task.WhenAll(tasks);

            lock (_touchGate)
            {
                _touchesAllowed = false;
            }

            while (Volatile.Read(ref _activeTouches) > 0)
            {
                await Task.Yield();
            }

            if (_pull)
            {
                _channel.Writer.Complete();
            }
            else
            {
                Volatile.Read(ref _observer)?.OnCompleted();
            }
        }

        /// <summary>
        /// From inside a callback, pushes an item from another thread and waits for it: had the callback run under
        /// the buffer's lock, that push would block until the timeout.
        /// </summary>
        public void TouchFromAnotherThread()
        {
            if (_pull || Interlocked.Increment(ref _touches) > MaxTouches)
            {
                return;
            }

            lock (_touchGate)
            {
                if (!_touchesAllowed)
                {
                    return;
                }

                _activeTouches++;
            }

            try
            {
                // A dedicated thread, not the pool: producers and the consumer may occupy every pool thread.
                var other = new Thread(() => Push1(-1)) { IsBackground = true };
                other.Start();
                if (!other.Join(TimeSpan.FromSeconds(20)))
                {
                    Interlocked.Increment(ref _touchTimeouts);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _activeTouches);
            }
        }

        private void Push1(long value)
        {
            Interlocked.Increment(ref _produced);
            if (_pull)
            {
                _channel.Writer.TryWrite(value);
            }
            else
            {
                Volatile.Read(ref _observer)!.OnNext(value);
            }
        }

        private async IAsyncEnumerable<long> Counted([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            while (await _channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (_channel.Reader.TryRead(out long item))
                {
                    Interlocked.Increment(ref _yielded);
                    yield return item;
                }
            }
        }
    }
}
