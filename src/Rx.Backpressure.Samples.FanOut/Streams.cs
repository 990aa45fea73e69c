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
    /// <param name="mode"><c>drop</c>, <c>sample</c> or <c>latest</c> (or <c>unbounded</c>, the contrast: no bound at all).</param>
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
            "unbounded" => Unbounded(feed.Ticks),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "The mode must be drop, sample, latest or unbounded."),
        };
        _streams[id] = info;
        return (info, items);
    }

    /// <summary>
    /// The contrast the scale benchmark measures against: what ASP.NET Core does for an <see cref="IObservable{T}"/>
    /// stream result — an unbounded channel per connection. Counts what it received and delivered.
    /// </summary>
    private static async IAsyncEnumerable<Tick> Unbounded(IObservable<Tick> ticks)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<Tick>(new() { SingleReader = true });
        using IDisposable subscription = ticks.Subscribe(t => channel.Writer.TryWrite(t), () => channel.Writer.TryComplete());
        await foreach (Tick tick in channel.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            yield return tick;
        }
    }
}
