using System.Collections.Concurrent;

namespace Rx.Backpressure.Samples.FanOut;

/// <summary>Per-connection counters of every stream the server has served, by stream id (the pipeline name of the metrics).</summary>
public sealed class Streams
{
    private readonly ConcurrentDictionary<string, StreamInfo> _streams = new();

    /// <summary>Gets every stream, live or finished.</summary>
    public IReadOnlyCollection<StreamInfo> All => [.. _streams.Values];

    /// <summary>Starts a stream: the operator chosen by <paramref name="mode"/> over <paramref name="feed"/>, with counters and a name.</summary>
    /// <param name="feed">The shared feed.</param>
    /// <param name="id">The stream's id: transport, connection and client.</param>
    /// <param name="mode"><c>drop</c>, <c>sample</c> or <c>latest</c>.</param>
    /// <param name="capacity">The bound; invalid values throw <see cref="ArgumentOutOfRangeException"/> (the client hears it).</param>
    /// <returns>The stream's info and the items to send.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An unknown mode or an invalid capacity.</exception>
    public (StreamInfo Info, IAsyncEnumerable<Tick> Items) Start(Feed feed, string id, string? mode, int capacity)
    {
        var info = new StreamInfo(id, mode ?? "drop", capacity);
        IAsyncEnumerable<Tick> items = info.Mode switch
        {
            "drop" => feed.Ticks.DropWhenFull(capacity, counters: info.Counters, name: id),
            "sample" => feed.Ticks.SampleWhenFull(capacity, counters: info.Counters, name: id),
            "latest" => feed.Ticks.LatestByKey(t => t.Key, capacity, counters: info.Counters, name: id),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "The mode must be drop, sample or latest."),
        };
        _streams[id] = info;
        return (info, items);
    }
}
