using System.Reactive.Subjects;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// The cost of an arrival at a full buffer that discards it: DropWhenFull(1024)'s <c>OnNext</c> against a bounded
/// Channel's <c>TryWrite</c> in DropWrite mode. Mean is per arrival.
/// </summary>
public class DroppedOnNext
{
    private const int Arrivals = 100_000;

    private IObserver<int> _ours = null!;
    private IAsyncEnumerator<int> _enumerator = null!;
    private ChannelWriter<int> _channel = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Our bridge's observer, captured at subscription, behind a buffer filled to its capacity with no reader waiting.
        _ours = CapturingObservable.StartDropWhenFull(out _enumerator);
        for (int i = 0; i < Scenario.Capacity; i++)
        {
            _ours.OnNext(i);
        }

        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Scenario.Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true });
        for (int i = 0; i < Scenario.Capacity; i++)
        {
            channel.Writer.TryWrite(i);
        }

        _channel = channel.Writer;
    }

    [GlobalCleanup]
    public void Cleanup() => _enumerator.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Arrivals)]
    public void DropWhenFull_OnNext()
    {
        IObserver<int> observer = _ours;
        for (int i = 0; i < Arrivals; i++)
        {
            observer.OnNext(i);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Arrivals)]
    public void Channel_TryWrite_DropWrite()
    {
        ChannelWriter<int> writer = _channel;
        for (int i = 0; i < Arrivals; i++)
        {
            writer.TryWrite(i);
        }
    }
}
