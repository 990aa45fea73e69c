using Grpc.Core;

namespace Rx.Backpressure.Samples.FanOut;

/// <summary>
/// gRPC server streaming: each call enumerates one of the operators and writes with
/// <see cref="IServerStreamWriter{T}"/>, so HTTP/2 flow control is the consumer's pace.
/// </summary>
public sealed class FeedService(Feed feed, Streams streams) : Grpc.Feed.FeedBase
{
    /// <inheritdoc/>
    public override async Task Subscribe(Grpc.SubscribeRequest request, IServerStreamWriter<Grpc.Tick> responseStream, ServerCallContext context)
    {
        StreamInfo info;
        IAsyncEnumerable<Tick> items;
        try
        {
            (info, items) = streams.Start(feed, $"grpc/{context.Peer}/{request.Client}", string.IsNullOrEmpty(request.Mode) ? "drop" : request.Mode, request.Capacity);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }

        try
        {
            await foreach (Tick tick in items.WithCancellation(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(new Grpc.Tick { Sequence = tick.Sequence, Key = tick.Key, Ticks = tick.Ticks }, context.CancellationToken).ConfigureAwait(false);
                info.Sent++;
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            info.Finished = true;
        }
    }
}
