namespace Rx.Backpressure.Demo;

/// <summary>The latest produced and delivered counts of the current run, written by its threads, read by the display.</summary>
internal sealed class RunProgress
{
    private long _produced;
    private long _delivered;

    public long Produced => Interlocked.Read(ref _produced);

    public long Delivered => Interlocked.Read(ref _delivered);

    public void Report(long produced, long delivered)
    {
        Interlocked.Exchange(ref _produced, produced);
        Interlocked.Exchange(ref _delivered, delivered);
    }
}
