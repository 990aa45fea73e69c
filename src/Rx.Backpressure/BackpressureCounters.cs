using System;
using System.Threading;

namespace Rx.Backpressure;

/// <summary>
/// Live, thread-safe counts of what an operator did with the items it received, readable at any time
/// without a callback. Pass one instance to an operator's <c>counters</c> parameter; every enumeration of
/// that operator adds to it.
/// </summary>
/// <remarks>
/// At every quiescent moment <c>Received == Delivered + Dropped + Buffered</c>. Items that a source pushes
/// after its own terminal signal are ignored and not counted.
/// </remarks>
public sealed class BackpressureCounters
{
    /// <summary>Items dropped, per <see cref="DropReason"/> (indexed by the reason's value).</summary>
    private readonly long[] _droppedBy = new long[4];

    /// <summary>Items accepted from the source.</summary>
    private long _received;

    /// <summary>Items handed to the consumer.</summary>
    private long _delivered;

    /// <summary>Items passed (or that would have been passed) to <c>onDropped</c>.</summary>
    private long _dropped;

    /// <summary>Items held right now (buffered plus a pending sample).</summary>
    private long _buffered;

    /// <summary>The highest value <see cref="_buffered"/> has reached.</summary>
    private long _peakBuffered;

    /// <summary>Pressure transitions to on (ThrottleOnPressure).</summary>
    private long _pressureOnCount;

    /// <summary>Gets the number of items accepted from the source.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Gets the number of items delivered to the consumer.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Gets the number of items dropped (overflow, eviction, replaced sample, or left over when the consumer stopped).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Gets the number of items held right now, including a pending sample.</summary>
    public long Buffered => Volatile.Read(ref _buffered);

    /// <summary>Gets the highest number of items held at one moment.</summary>
    public long PeakBuffered => Volatile.Read(ref _peakBuffered);

    /// <summary>Gets how many times pressure turned on (ThrottleOnPressure only).</summary>
    public long PressureOnCount => Volatile.Read(ref _pressureOnCount);

    /// <summary>Gets the number of items dropped for one reason; the reasons add up to <see cref="Dropped"/>.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>How many items were dropped for <paramref name="reason"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a defined value.</exception>
    public long DroppedBy(DropReason reason)
    {
        if ((uint)reason >= (uint)_droppedBy.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a defined DropReason value.");
        }

        return Volatile.Read(ref _droppedBy[(int)reason]);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"received {Received}, delivered {Delivered}, dropped {Dropped} (overflow {DroppedBy(DropReason.Overflow)}, evicted {DroppedBy(DropReason.Evicted)}, replaced {DroppedBy(DropReason.Replaced)}, stopped {DroppedBy(DropReason.Stopped)}), buffered {Buffered} (peak {PeakBuffered})";

    /// <summary>An item was accepted and is now held.</summary>
    internal void ReceivedAndBuffered()
    {
        Interlocked.Increment(ref _received);
        Buffer(1);
    }

    /// <summary>Items were accepted and are now held (a run written at once).</summary>
    /// <param name="count">How many.</param>
    internal void ReceivedAndBuffered(int count)
    {
        Interlocked.Add(ref _received, count);
        Buffer(count);
    }

    /// <summary>An item was accepted and handed straight to a waiting consumer.</summary>
    internal void ReceivedAndDelivered()
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _delivered);
    }

    /// <summary>An item was accepted and dropped at once.</summary>
    /// <param name="reason">Why.</param>
    internal void ReceivedAndDropped(DropReason reason)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _droppedBy[(int)reason]);
    }

    /// <summary>A held item was delivered.</summary>
    internal void BufferedDelivered()
    {
        Interlocked.Decrement(ref _buffered);
        Interlocked.Increment(ref _delivered);
    }

    /// <summary>Held items were delivered at once (a batch).</summary>
    /// <param name="count">How many.</param>
    internal void BufferedDelivered(int count)
    {
        Interlocked.Add(ref _buffered, -count);
        Interlocked.Add(ref _delivered, count);
    }

    /// <summary>A held item is about to be taken without the gate: it stops counting as held first.</summary>
    internal void Releasing() => Interlocked.Decrement(ref _buffered);

    /// <summary>After <see cref="Releasing"/>: the take succeeded (the item was delivered) or found nothing (it is held again).</summary>
    /// <param name="taken">Whether the item was taken.</param>
    internal void Released(bool taken)
    {
        if (taken)
        {
            Interlocked.Increment(ref _delivered);
        }
        else
        {
            Buffer(1);
        }
    }

    /// <summary>Held items were dropped.</summary>
    /// <param name="count">How many.</param>
    /// <param name="reason">Why.</param>
    internal void BufferedDropped(int count, DropReason reason)
    {
        Interlocked.Add(ref _buffered, -count);
        Interlocked.Add(ref _dropped, count);
        Interlocked.Add(ref _droppedBy[(int)reason], count);
    }

    /// <summary>Pressure turned on.</summary>
    internal void PressureOn() => Interlocked.Increment(ref _pressureOnCount);

    private void Buffer(int count)
    {
        long now = Interlocked.Add(ref _buffered, count);
        long peak = Volatile.Read(ref _peakBuffered);
        while (now > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakBuffered, now, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }
}
