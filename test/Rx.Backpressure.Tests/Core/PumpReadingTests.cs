using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// The pump's "reading" hint, which lets a consumer that found nothing spin briefly instead of waiting: set only while
/// the pump reads a source that answers at once in real time, cleared before it awaits the source or room, and at the
/// end. A hint left set would make a consumer of an idle source spin on every read.
/// </summary>
[CancelAfter(30_000)]
public sealed class PumpReadingTests
{
    [Test]
    public async Task PumpReading_SetWhileTheSourceAnswersAtOnce_ClearedWhileItIsAwaited_AndAtTheEnd()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<bool>();
        BackpressureEnumerator<int>? e = null;
        async IAsyncEnumerable<int> Source()
        {
            seen.Add(e!.PumpReading);   // the first read
            yield return 1;
            seen.Add(e.PumpReading);    // read on at once
            await gate.Task;            // the pump clears the hint and awaits this read
            seen.Add(e.PumpReading);    // resumed by the gate, before the pump reads on
            yield return 2;
            seen.Add(e.PumpReading);    // read on at once again
            yield return 3;
        }

        e = (BackpressureEnumerator<int>)Source().BufferBounded(16).GetAsyncEnumerator();
        try
        {
            Assert.That(await e.MoveNextAsync(), Is.True);
            Assert.That(e.Current, Is.EqualTo(1));
            Assert.That(SpinWait.SpinUntil(() => !e.PumpReading, TimeSpan.FromSeconds(10)), Is.True, "the hint is cleared while the pump awaits the source");
            gate.SetResult();
            var rest = new List<int>();
            while (await e.MoveNextAsync())
            {
                rest.Add(e.Current);
            }

            Assert.That(rest, Is.EqualTo(new[] { 2, 3 }));
            Assert.That(seen, Is.EqualTo(new[] { true, true, false, true }));
            Assert.That(e.PumpReading, Is.False, "cleared at the end");
        }
        finally
        {
            gate.TrySetResult();   // the source ignores cancellation: a failed assertion must not leave the pump waiting
            await e.DisposeAsync();
        }
    }

    [Test]
    public async Task PumpReading_ClearedWhileThePumpWaitsForRoom()
    {
        async IAsyncEnumerable<int> Source()
        {
            for (int i = 0; i < 100; i++)
            {
                yield return i;
            }

            await Task.CompletedTask;
        }

        var e = (BackpressureEnumerator<int>)Source().BufferBounded(2).GetAsyncEnumerator();
        try
        {
            Assert.That(await e.MoveNextAsync(), Is.True);
            Assert.That(SpinWait.SpinUntil(() => !e.PumpReading, TimeSpan.FromSeconds(10)), Is.True, "the hint is cleared while the pump waits for room");
            var items = new List<int> { e.Current };
            while (await e.MoveNextAsync())
            {
                items.Add(e.Current);
            }

            Assert.That(items, Is.EqualTo(System.Linq.Enumerable.Range(0, 100)));
        }
        finally
        {
            await e.DisposeAsync();
        }
    }

    [Test]
    public void PumpReading_NeverSetInVirtualTime()
    {
        var scheduler = new TestScheduler();
        var seen = new List<bool>();
        BackpressureEnumerator<int>? e = null;
        e = (BackpressureEnumerator<int>)RecordingHint(5, seen, () => e!.PumpReading).BufferBounded(16, scheduler: scheduler).GetAsyncEnumerator();
        var items = new List<int>();
        while (true)
        {
            ValueTask<bool> read = e.MoveNextAsync();
            scheduler.Start();
            Assert.That(read.IsCompleted, Is.True, "virtual time runs the pump inside the scheduler's actions");
            if (!read.Result)
            {
                break;
            }

            items.Add(e.Current);
        }

        Assert.That(items, Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(seen, Has.Count.EqualTo(5).And.All.False, "nothing runs concurrently in virtual time: no consumer spins");
        _ = e.DisposeAsync();
    }

    [Test]
    public async Task PumpReading_SetByALossyPumpToo([Values("DropWhenFull", "DropOldest", "SampleWhenFull")] string policy)
    {
        // Pumps of policies that never pause the source write runs as well, so they give the hint while the source
        // answers at once; below the capacity nothing is dropped.
        var seen = new List<bool>();
        BackpressureEnumerator<int>? e = null;
        IAsyncEnumerable<int> source = RecordingHint(1000, seen, () => e!.PumpReading);
        e = (BackpressureEnumerator<int>)(policy switch
        {
            "DropWhenFull" => source.DropWhenFull(4096),
            "DropOldest" => source.BufferBounded(4096, BufferOverflow.DropOldest),
            _ => source.SampleWhenFull(4096),
        }).GetAsyncEnumerator();
        try
        {
            var items = new List<int>();
            while (await e.MoveNextAsync())
            {
                items.Add(e.Current);
            }

            Assert.That(items, Is.EqualTo(System.Linq.Enumerable.Range(0, 1000)), "nothing is dropped below the capacity");
            Assert.That(seen, Has.Count.EqualTo(1000).And.All.True);
        }
        finally
        {
            await e.DisposeAsync();
        }
    }

    [Test]
    public async Task PumpReading_ConsumerThatSpinsForThePump_StillGetsEveryItemInOrder([Values(1, 2, 1024)] int capacity)
    {
        // A fast consumer of a fast source finds the buffer empty often and spins before it waits; the spin only delays
        // the read, so every item still arrives once, in order, through the end and through a fault.
        async IAsyncEnumerable<int> Source(int count, bool fail)
        {
            for (int i = 0; i < count; i++)
            {
                yield return i;
            }

            await Task.CompletedTask;
            if (fail)
            {
                throw new InvalidOperationException("source failed");
            }
        }

        for (int round = 0; round < 20; round++)
        {
            bool fail = round % 2 == 1;
            long expected = 0;
            Exception? error = null;
            try
            {
                await foreach (int item in Source(50_000, fail).BufferBounded(capacity))
                {
                    Assert.That(item, Is.EqualTo(expected++));
                }
            }
            catch (InvalidOperationException ex)
            {
                error = ex;
            }

            Assert.That(expected, Is.EqualTo(50_000), $"round {round}");
            Assert.That(error?.Message, fail ? Is.EqualTo("source failed") : Is.Null, $"round {round}");
        }
    }

    /// <summary>A source of 0 to <paramref name="count"/> - 1 that records the pump's hint each time it is asked for an item.</summary>
    private static async IAsyncEnumerable<int> RecordingHint(int count, List<bool> seen, Func<bool> hint)
    {
        for (int i = 0; i < count; i++)
        {
            seen.Add(hint());
            yield return i;
        }

        await Task.CompletedTask;
    }
}
