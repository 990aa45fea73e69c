namespace Rx.Backpressure;

/// <summary>
/// Backpressure operators that bridge a push source (<see cref="System.IObservable{T}"/>) to a pull consumer
/// (<see cref="System.Collections.Generic.IAsyncEnumerable{T}"/>: <c>await foreach</c>, async LINQ) through a
/// bounded buffer.
/// </summary>
/// <remarks>
/// Every operator is lazy and cold: the source is subscribed on the first <c>MoveNextAsync</c>, and each
/// enumerator has its own subscription and buffer. Arguments are checked at the call, not at enumeration.
/// </remarks>
public static partial class ObservableBackpressure
{
}
