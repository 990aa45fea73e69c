using System;
using System.Reactive.Concurrency;

namespace Rx.Backpressure.Core;

/// <summary>Argument checks shared by the public operator methods, with messages that say what is allowed.</summary>
internal static class Check
{
    /// <summary>Throws unless <paramref name="overflow"/> is a defined member (and, for a push source, not Wait).</summary>
    /// <param name="overflow">The value.</param>
    /// <param name="pushSource">Whether the source is an <see cref="IObservable{T}"/>.</param>
    /// <param name="paramName">The parameter's name.</param>
    public static void Overflow(BufferOverflow overflow, bool pushSource, string paramName)
    {
        if (overflow is < BufferOverflow.Error or > BufferOverflow.Wait)
        {
            throw new ArgumentOutOfRangeException(paramName, overflow, "Not a defined BufferOverflow value.");
        }

        if (pushSource && overflow == BufferOverflow.Wait)
        {
            throw new ArgumentException(
                "A push source (IObservable<T>) cannot wait: it pushes whether or not there is room. " +
                "Use ThrottleOnPressure to ask a cooperative producer to slow down, or a drop policy " +
                "(DropOldest, DropNewest, DropIncoming) to shed load.",
                paramName);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="period"/> is null, or positive and within what <paramref name="scheduler"/>
    /// accepts as a due time (a real scheduler's timers take at most about 49.7 days; virtual time takes any).
    /// </summary>
    /// <param name="period">The value.</param>
    /// <param name="scheduler">The scheduler that will run the window timers (null: Rx's default scheduler).</param>
    /// <param name="paramName">The parameter's name.</param>
    public static void Period(TimeSpan? period, IScheduler? scheduler, string paramName)
    {
        if (period is not { } value)
        {
            return;
        }

        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "The sampling period must be positive, or null for latest-wins sampling.");
        }

        if (value > Schedulers.MaxRealTimeDueTime && !Schedulers.IsVirtualTime(scheduler))
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                value,
                $"The sampling period must be at most {Schedulers.MaxRealTimeDueTime} with a real scheduler: its timers cannot wait longer. Only a virtual-time scheduler accepts longer periods.");
        }
    }

    /// <summary>Throws unless <c>0 &lt;= lowWatermark &lt; highWatermark</c>.</summary>
    /// <param name="highWatermark">The high watermark.</param>
    /// <param name="lowWatermark">The low watermark.</param>
    public static void Watermarks(int highWatermark, int lowWatermark)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(highWatermark, 1, nameof(highWatermark));
        ArgumentOutOfRangeException.ThrowIfNegative(lowWatermark, nameof(lowWatermark));
        if (lowWatermark >= highWatermark)
        {
            throw new ArgumentOutOfRangeException(
                nameof(lowWatermark),
                lowWatermark,
                $"The low watermark must be below the high watermark ({highWatermark}): pressure turns on at the high one and off at the low one.");
        }
    }
}
