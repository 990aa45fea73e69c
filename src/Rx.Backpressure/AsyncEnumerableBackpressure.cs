namespace Rx.Backpressure;

/// <summary>
/// Backpressure operators for a pull source (<see cref="System.Collections.Generic.IAsyncEnumerable{T}"/>): a
/// pump reads the source into a bounded buffer ahead of the consumer.
/// </summary>
/// <remarks>
/// Only <see cref="BufferOverflow.Wait"/> and ThrottleOnPressure pause the source; with every other policy the
/// source is treated as live and read as fast as it yields, so the policy has something to act on. The pump
/// starts on the first <c>MoveNextAsync</c>; each enumerator has its own pump and buffer. Arguments are checked at
/// the call. The pump runs on the thread pool, unless a virtual-time scheduler (<c>TestScheduler</c>) is given: then
/// it runs inline, inside that scheduler's actions, and a paused pump resumes synchronously inside the consumer's
/// <c>MoveNextAsync</c> that frees room.
/// </remarks>
public static partial class AsyncEnumerableBackpressure
{
}
