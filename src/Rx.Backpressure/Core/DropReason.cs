namespace Rx.Backpressure.Core;

/// <summary>Why an item was not delivered; the <c>rx_backpressure.drop.reason</c> tag of the dropped-items metric.</summary>
internal enum DropReason
{
    /// <summary>It arrived at a full buffer and was discarded (DropIncoming, DropWhenFull, or the item that overflowed with Error).</summary>
    Overflow,

    /// <summary>It was buffered and evicted to make room (DropOldest, DropNewest, or a sampling window closing on a full buffer).</summary>
    Evicted,

    /// <summary>It was the pending sample and a newer arrival replaced it (SampleWhenFull).</summary>
    Replaced,

    /// <summary>It was held when the consumer stopped, or arrived after the consumer stopped or the sequence failed.</summary>
    Stopped,
}
