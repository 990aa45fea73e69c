using System.Reactive.Subjects;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// One hot Subject fanned out to 1,000 subscribers, each with its own bound: 1,000 DropWhenFull(1024) enumerations
/// against 1,000 bounded Channels fed by Subject subscriptions. Mean is per OnNext per subscriber; the buffers have
/// room (the consumers are busy elsewhere) and are emptied between iterations.
/// </summary>
/// <remarks>
/// Each iteration empties and re-arms 1,000 buffers, so a single iteration is at the mercy of the machine; with the
/// suite's five iterations this case came out bimodal (0.26× to 1.25× on the same code). It runs 20.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet's GlobalCleanup disposes them.")]
[IterationCount(20)]
public class FanOut
{
    private const int Subscribers = 1_000;
    private const int Pushes = 512;

    private readonly List<IAsyncEnumerator<int>> _enumerators = [];
    private readonly List<ValueTask<bool>> _pending = [];
    private readonly List<Channel<int>> _channels = [];
    private readonly List<IDisposable> _subscriptions = [];
    private Subject<int> _ours = null!;
    private Subject<int> _peer = null!;
    private bool _ourPushes;

    [GlobalSetup]
    public void Setup()
    {
        _ours = new Subject<int>();
        _peer = new Subject<int>();
        for (int i = 0; i < Subscribers; i++)
        {
            IAsyncEnumerator<int> e = _ours.DropWhenFull(Scenario.Capacity).GetAsyncEnumerator();
            _pending.Add(e.MoveNextAsync());   // subscribes; a consumer waiting, as in a live fan-out
            _enumerators.Add(e);

            var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Scenario.Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true });
            _channels.Add(channel);
            _subscriptions.Add(_peer.Subscribe(x => channel.Writer.TryWrite(x)));
        }

        Drain(pushed: false);
    }

    /// <summary>
    /// Empties every buffer and leaves each consumer waiting again (ours in MoveNextAsync, the channels' in
    /// WaitToReadAsync), so each iteration starts alike: the first push wakes a waiting consumer, the rest are buffered.
    /// </summary>
    [IterationCleanup]
    public void Drain()
    {
        Drain(_ourPushes);
        _ourPushes = false;
    }

    private void Drain(bool pushed)
    {
        for (int i = 0; i < _enumerators.Count; i++)
        {
            ValueTask<bool> next = _pending[i];
            if (pushed)
            {
                // The iteration's first push was handed to this waiting read, which completes on the thread pool.
                SpinWait.SpinUntil(() => next.IsCompleted, TimeSpan.FromSeconds(5));
            }

            while (next.IsCompleted)
            {
                next.AsTask().GetAwaiter().GetResult();
                next = _enumerators[i].MoveNextAsync();
            }

            _pending[i] = next;
        }

        foreach (Channel<int> channel in _channels)
        {
            while (channel.Reader.TryRead(out _))
            {
            }

            _ = channel.Reader.WaitToReadAsync();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        foreach (IAsyncEnumerator<int> e in _enumerators)
        {
            e.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(OperationsPerInvoke = Subscribers * Pushes)]
    public void DropWhenFull_1000Subscribers()
    {
        _ourPushes = true;
        for (int i = 0; i < Pushes; i++)
        {
            _ours.OnNext(i);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Subscribers * Pushes)]
    public void Channels_1000Subscribers()
    {
        for (int i = 0; i < Pushes; i++)
        {
            _peer.OnNext(i);
        }
    }
}
