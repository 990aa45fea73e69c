using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;

namespace Rx.Backpressure.Samples.FanOut;

/// <summary>
/// SignalR streaming: each method returns an <see cref="IAsyncEnumerable{T}"/> from one of the operators, with the
/// <see cref="CancellationToken"/> SignalR passes (cancelled when the client stops the stream or disconnects). A slow
/// client's connection fills, SignalR's writes wait, the enumeration slows, and the operator sheds at its bound.
/// </summary>
public sealed class FeedHub(Feed feed, Streams streams) : Hub
{
    /// <summary>The feed through DropWhenFull(capacity).</summary>
    /// <param name="capacity">The bound, 0 or more.</param>
    /// <param name="client">The client's name, for the stream id.</param>
    /// <param name="cancellationToken">SignalR's token for the stream.</param>
    /// <returns>The items.</returns>
    public IAsyncEnumerable<Tick> Drops(int capacity, string client, CancellationToken cancellationToken) => Serve("drop", capacity, client, cancellationToken);

    /// <summary>The feed through SampleWhenFull(capacity).</summary>
    /// <param name="capacity">The bound, 0 or more.</param>
    /// <param name="client">The client's name, for the stream id.</param>
    /// <param name="cancellationToken">SignalR's token for the stream.</param>
    /// <returns>The items.</returns>
    public IAsyncEnumerable<Tick> Samples(int capacity, string client, CancellationToken cancellationToken) => Serve("sample", capacity, client, cancellationToken);

    /// <summary>The contrast for the scale benchmark: the feed through an unbounded channel, as ASP.NET Core streams an IObservable.</summary>
    /// <param name="client">The client's name, for the stream id.</param>
    /// <param name="cancellationToken">SignalR's token for the stream.</param>
    /// <returns>The items.</returns>
    public IAsyncEnumerable<Tick> Unbounded(string client, CancellationToken cancellationToken) => Serve("unbounded", 0, client, cancellationToken);

    /// <summary>The feed through LatestByKey(key, capacity).</summary>
    /// <param name="capacity">The number of keys, 1 or more.</param>
    /// <param name="client">The client's name, for the stream id.</param>
    /// <param name="cancellationToken">SignalR's token for the stream.</param>
    /// <returns>The items.</returns>
    public IAsyncEnumerable<Tick> Latest(int capacity, string client, CancellationToken cancellationToken) => Serve("latest", capacity, client, cancellationToken);

    private static async IAsyncEnumerable<Tick> Send(StreamInfo info, IAsyncEnumerable<Tick> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (Tick tick in items.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                info.Sent++;
                yield return tick;
            }
        }
        finally
        {
            info.Finished = true;
        }
    }

    private IAsyncEnumerable<Tick> Serve(string mode, int capacity, string client, CancellationToken cancellationToken)
    {
        // Argument errors are thrown here, at the invocation: SignalR sends them to this client only.
        var (info, items) = streams.Start(feed, $"signalr/{Context.ConnectionId}/{client}", mode, capacity);
        return Send(info, items, cancellationToken);
    }
}
