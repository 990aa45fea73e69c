namespace Rx.Backpressure.Core;

/// <summary>Where a <see cref="ProducerLane{T}"/> moves its arrivals: the buffer's storage, under the buffer's gate.</summary>
/// <typeparam name="TSlot">What the lane holds per arrival.</typeparam>
internal interface ILaneTarget<TSlot>
{
    /// <summary>Takes the lane's arrivals, oldest first, as if each had arrived under the gate now. The lane clears its slots afterwards.</summary>
    /// <param name="slots">The lane's slots.</param>
    /// <param name="count">How many, from index 0.</param>
    void AppendRange(TSlot[] slots, int count);
}
