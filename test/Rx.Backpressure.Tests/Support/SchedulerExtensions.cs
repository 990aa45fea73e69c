using System;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Tests.Support;

public static class SchedulerExtensions
{
    /// <summary>A virtual-time delay whose continuation runs inline inside the scheduler's action.</summary>
    public static Task DelayTicks(this TestScheduler scheduler, long ticks)
    {
        var tcs = new TaskCompletionSource();
        scheduler.Schedule(tcs, TimeSpan.FromTicks(ticks), static (_, t) =>
        {
            t.SetResult();
            return Disposable.Empty;
        });
        return tcs.Task;
    }
}
