using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// The buffer's own cost, single-threaded: an arrival buffered, then taken by a consumer that finds it at once —
/// DropWhenFull(1024)'s OnNext + MoveNextAsync against a bounded Channel's TryWrite + TryRead. Mean is per item.
/// </summary>
public class HandOff
{
    private const int Items = 512;

    private IObserver<int> _ours = null!;
    private IAsyncEnumerator<int> _enumerator = null!;
    private Channel<int> _channel = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ours = CapturingObservable.StartDropWhenFull(out _enumerator);
        _channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Scenario.Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true });
    }

    [GlobalCleanup]
    public void Cleanup() => _enumerator.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Items)]
    public int DropWhenFull_WriteThenRead()
    {
        int sum = 0;
        for (int i = 0; i < Items; i++)
        {
            _ours.OnNext(i);
        }

        for (int i = 0; i < Items; i++)
        {
            ValueTask<bool> next = _enumerator.MoveNextAsync();
            if (next.IsCompletedSuccessfully && next.Result)
            {
                sum += _enumerator.Current;
            }
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public int Channel_WriteThenRead()
    {
        int sum = 0;
        for (int i = 0; i < Items; i++)
        {
            _channel.Writer.TryWrite(i);
        }

        for (int i = 0; i < Items; i++)
        {
            if (_channel.Reader.TryRead(out int item))
            {
                sum += item;
            }
        }

        return sum;
    }
}
