using System;
using System.Collections.Generic;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Tests.Support;

/// <summary>Records every <c>onDropped</c> call with its virtual tick.</summary>
public sealed class DropLog
{
    private readonly TestScheduler _scheduler;

    public DropLog(TestScheduler scheduler, Func<int, Exception?>? fail = null)
    {
        _scheduler = scheduler;
        Fail = fail;
    }

    public List<Recorded<int>> Items { get; } = [];

    public Func<int, Exception?>? Fail { get; }

    public void Add(int item)
    {
        Items.Add(new Recorded<int>(_scheduler.Clock, item));
        if (Fail?.Invoke(item) is { } error)
        {
            throw error;
        }
    }
}
