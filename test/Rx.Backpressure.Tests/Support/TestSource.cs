using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using Microsoft.Reactive.Testing;
using Rx.Backpressure.Testing;

namespace Rx.Backpressure.Tests.Support;

/// <summary>
/// One timeline of notifications (absolute ticks) as either a hot push source or a cold pull source whose
/// enumeration starts at <see cref="ReactiveTest.Subscribed"/> — so both shapes see the same items at the same ticks.
/// </summary>
public sealed class TestSource
{
    private readonly ITestableObservable<int>? _hot;
    private readonly TestAsyncEnumerable<int>? _cold;

    public TestSource(TestScheduler scheduler, bool pull, Recorded<Notification<int>>[] messages, long start = ReactiveTest.Subscribed)
    {
        if (pull)
        {
            _cold = scheduler.CreateColdAsyncEnumerable(
                messages.Where(m => m.Time >= start).Select(m => new Recorded<Notification<int>>(m.Time - start, m.Value)).ToArray());
        }
        else
        {
            _hot = scheduler.CreateHotObservable(messages);
        }
    }

    public IObservable<int> Observable => _hot ?? throw new InvalidOperationException("not a push source");

    public IAsyncEnumerable<int> AsyncEnumerable => _cold ?? throw new InvalidOperationException("not a pull source");

    public IList<Subscription> Subscriptions => _hot is not null ? _hot.Subscriptions : _cold!.Subscriptions.ToList();

    public IReadOnlyList<long> Requests => _cold?.Requests ?? throw new InvalidOperationException("not a pull source");
}
