using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Tests.Support;

/// <summary>
/// The overflow scenario of the capacity × mode matrix: <c>capacity + 3</c> items all at tick 210 (the first goes
/// straight to the waiting consumer, <c>capacity</c> fill the buffer, two overflow), completion at 215, and a
/// consumer that needs 10 ticks per item.
/// </summary>
public static class Burst
{
    public const long Tick = 210;
    public const long CompletedAt = 215;
    public const long Processing = 10;

    public static Recorded<Notification<int>>[] Messages(int count)
    {
        var messages = new List<Recorded<Notification<int>>> { ReactiveTest.OnNext(150, -1) };
        messages.AddRange(Enumerable.Range(1, count).Select(i => ReactiveTest.OnNext(Tick, i)));
        messages.Add(ReactiveTest.OnCompleted<int>(CompletedAt));
        return [.. messages];
    }

    /// <summary>Delivered values at ticks 210, 220, … and then the end, 10 ticks after the last.</summary>
    public static List<Recorded<Notification<int>>> Deliveries(IEnumerable<int> values, Exception? error = null)
    {
        var result = values.Select((v, i) => ReactiveTest.OnNext(Tick + (Processing * i), v)).ToList();
        long end = Tick + (Processing * result.Count);
        result.Add(error is null ? ReactiveTest.OnCompleted<int>(end) : ReactiveTest.OnError<int>(end, error));
        return result;
    }

    /// <summary>The values each overflow policy delivers and drops for the burst (capacity + 3 items).</summary>
    public static (int[] Delivered, int[] Dropped) Expected(BufferOverflow overflow, int capacity)
    {
        int c = capacity;
        IEnumerable<int> Range(int from, int to) => from > to ? [] : Enumerable.Range(from, to - from + 1);
        return overflow switch
        {
            BufferOverflow.DropIncoming => ([.. Range(1, c + 1)], [c + 2, c + 3]),
            BufferOverflow.DropOldest => ([1, .. Range(4, c + 3)], [2, 3]),
            BufferOverflow.DropNewest => ([.. Range(1, c), c + 3], [c + 1, c + 2]),
            BufferOverflow.Error => ([.. Range(1, c + 1)], [c + 2]),
            BufferOverflow.Wait => ([.. Range(1, c + 3)], []),
            _ => throw new ArgumentOutOfRangeException(nameof(overflow)),
        };
    }
}
