using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// A pump whose policy never pauses the source (DropWhenFull, DropOldest, SampleWhenFull) reads a run of items while
/// the buffer has room for them and the source answers at once, and writes them together; at a full buffer it writes
/// each item as it reads it, so the policy meets the arrivals one by one, in order. Real threads: a consumer that takes
/// one item, then waits until the pump has disposed the source, so the pump goes from runs to a full buffer.
/// </summary>
[CancelAfter(60_000)]
public sealed class PumpRunTests
{
    private const int Items = 1_000;

    [Test]
    public async Task LossyPump_RunPastAFullBuffer_EachItemDeliveredOrReportedDroppedOnce(
        [Values("DropWhenFull", "DropOldest", "SampleWhenFull")] string policy,
        [Values(1, 4, 100)] int capacity,
        [Values(true, false)] bool observed)
    {
        for (int round = 0; round < 20; round++)
        {
            var exhausted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var dropped = new List<int>();
            Action<int>? onDropped = observed ? Record : null;
            IAsyncEnumerable<int> source = new CountingSource(exhausted);
            IAsyncEnumerable<int> sequence = policy switch
            {
                "DropWhenFull" => source.DropWhenFull(capacity, onDropped),
                "DropOldest" => source.BufferBounded(capacity, BufferOverflow.DropOldest, onDropped),
                _ => source.SampleWhenFull(capacity, onDropped: onDropped),
            };

            var delivered = new List<int>();
            void Record(int x)
            {
                lock (dropped)
                {
                    dropped.Add(x);
                }
            }

            await using (IAsyncEnumerator<int> e = sequence.GetAsyncEnumerator())
            {
                Assert.That(await e.MoveNextAsync(), Is.True);
                delivered.Add(e.Current);
                await exhausted.Task;
                while (await e.MoveNextAsync())
                {
                    delivered.Add(e.Current);
                }
            }

            string where = $"{policy}({capacity}), round {round}: delivered {string.Join(",", delivered.Take(12))}…";
            Assert.That(delivered, Is.Ordered.And.Unique, where);
            Assert.That(delivered, Has.Count.LessThanOrEqualTo(capacity + 2), where);   // the first, the buffer, a pending sample
            if (policy == "DropWhenFull")
            {
                // The oldest are kept: what was delivered is a run from 0.
                Assert.That(delivered, Is.EqualTo(Enumerable.Range(0, delivered.Count)), where);
            }
            else
            {
                // The newest is kept: the last item arrived at a full buffer, which kept it.
                Assert.That(delivered[^1], Is.EqualTo(Items - 1), where);
            }

            if (observed)
            {
                // Every item is delivered or reported dropped, exactly once, and the drops in the order they happened.
                Assert.That(dropped, Is.Ordered, where);
                Assert.That(delivered.Concat(dropped).Order(), Is.EqualTo(Enumerable.Range(0, Items)), where);
            }
        }
    }

    /// <summary>0 to <see cref="Items"/> - 1, each at once; the task is completed when the pump disposes it, after its last write.</summary>
    private sealed class CountingSource(TaskCompletionSource exhausted) : IAsyncEnumerable<int>, IAsyncEnumerator<int>
    {
        public int Current { get; private set; } = -1;

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => new(++Current < Items);

        public ValueTask DisposeAsync()
        {
            exhausted.SetResult();
            return default;
        }
    }
}
