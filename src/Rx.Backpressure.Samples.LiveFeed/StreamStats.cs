namespace Rx.Backpressure.Samples.LiveFeed;

/// <summary>What one HTTP stream's operator did, as reported by <c>GET /stats</c>.</summary>
public sealed record StreamStats(int Id, string Mode, int Capacity, BackpressureCounters Counters)
{
    public bool Finished { get; set; }

    public object Snapshot() => new
    {
        Id,
        Mode,
        Capacity,
        Counters.Received,
        Counters.Delivered,
        Counters.Dropped,
        Counters.Buffered,
        Counters.PeakBuffered,
        Finished,
    };
}
