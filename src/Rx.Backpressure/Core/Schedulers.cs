using System;
using System.Reactive.Concurrency;

namespace Rx.Backpressure.Core;

/// <summary>
/// What the operators need to know about the <c>scheduler</c> argument: whether it keeps virtual time (then
/// everything runs inside its actions) or is a real scheduler (then it only runs timers).
/// </summary>
internal static class Schedulers
{
    /// <summary>
    /// The longest due time a real scheduler accepts: .NET's timers (<see cref="System.Threading.Timer"/>,
    /// <c>Task.Delay</c>), which Rx's real schedulers use, take at most <c>uint.MaxValue - 1</c> milliseconds
    /// (about 49.7 days).
    /// </summary>
    public static readonly TimeSpan MaxRealTimeDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    /// <summary>
    /// Whether <paramref name="scheduler"/> keeps virtual time: it derives from Rx's
    /// <c>VirtualTimeSchedulerBase&lt;TAbsolute, TRelative&gt;</c> (<c>TestScheduler</c>,
    /// <c>HistoricalScheduler</c>, or a user's own).
    /// </summary>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <returns>True for a virtual-time scheduler; false for null and every other scheduler.</returns>
    public static bool IsVirtualTime(IScheduler? scheduler)
    {
        for (Type? type = scheduler?.GetType(); type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(VirtualTimeSchedulerBase<,>))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="scheduler"/> is one of Rx's schedulers that run each action as one work item on the
    /// .NET thread pool, capturing the execution context at <c>Schedule</c>: <see cref="TaskPoolScheduler.Default"/>,
    /// <see cref="ThreadPoolScheduler.Instance"/> or <see cref="DefaultScheduler.Instance"/>. Instances, not types: a
    /// <see cref="TaskPoolScheduler"/> made with a <c>TaskFactory</c> of its own may run actions anywhere.
    /// </summary>
    /// <param name="scheduler">The scheduler, or null.</param>
    /// <returns>True for those three instances; false for null and every other scheduler.</returns>
    public static bool IsThreadPool(IScheduler? scheduler) =>
        ReferenceEquals(scheduler, TaskPoolScheduler.Default)
        || ReferenceEquals(scheduler, ThreadPoolScheduler.Instance)
        || ReferenceEquals(scheduler, DefaultScheduler.Instance);
}
