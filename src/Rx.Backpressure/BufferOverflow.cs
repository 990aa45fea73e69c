namespace Rx.Backpressure;

/// <summary>
/// What a bounded buffer does with an arriving item when it already holds <c>capacity</c> items
/// and no consumer is waiting. Each member is named by its victim.
/// </summary>
public enum BufferOverflow
{
    /// <summary>
    /// Fail the sequence with <see cref="BufferOverflowException"/>: the source subscription is disposed at
    /// the moment of overflow, the overflowing item is reported as dropped, the buffered items are delivered,
    /// then the exception is thrown.
    /// </summary>
    Error,

    /// <summary>Evict the oldest buffered item (the head), then buffer the arrival.</summary>
    DropOldest,

    /// <summary>Evict the newest buffered item (the tail), then buffer the arrival.</summary>
    DropNewest,

    /// <summary>Discard the arrival; the buffer keeps what it has.</summary>
    DropIncoming,

    /// <summary>
    /// Stop pulling from the source until there is room (lossless). Only for a pull source
    /// (<see cref="System.Collections.Generic.IAsyncEnumerable{T}"/>): a push source cannot wait.
    /// </summary>
    Wait,
}
