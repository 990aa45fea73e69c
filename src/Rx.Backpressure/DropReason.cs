namespace Rx.Backpressure;

/// <summary>
/// Why an item was not delivered: counted per reason by <see cref="BackpressureCounters.DroppedBy"/> and reported
/// as the <see cref="BackpressureMetrics.DropReasonTag"/> tag of the dropped-items metric.
/// </summary>
public enum DropReason
{
    /// <summary>
    /// It arrived at a full buffer and was discarded (DropIncoming, DropWhenFull, or the item that overflowed with
    /// <see cref="BufferOverflow.Error"/>). Tag value <c>overflow</c>.
    /// </summary>
    Overflow,

    /// <summary>
    /// It was buffered and evicted to make room (DropOldest, DropNewest, or a sampling window closing on a full
    /// buffer). Tag value <c>evicted</c>.
    /// </summary>
    Evicted,

    /// <summary>A newer arrival replaced it: a pending sample (SampleWhenFull). Tag value <c>replaced</c>.</summary>
    Replaced,

    /// <summary>
    /// It was held when the consumer stopped or the sequence failed, or it arrived after that. Tag value <c>stopped</c>.
    /// </summary>
    Stopped,
}
