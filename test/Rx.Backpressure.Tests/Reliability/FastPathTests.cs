using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// The lock-free discard of DropWhenFull / DropIncoming when nothing observes drops, under real concurrency: it races
/// the consumer's takes and hand-offs, and must never deliver an item twice, reorder, exceed the bound, or discard
/// an arrival that a waiting consumer should have received.
/// </summary>
[Category("Reliability")]
[CancelAfter(60_000)]
public sealed class FastPathTests
{
    [Test]
    public async Task FastPathDrops_RaceTheConsumer_NoDuplicates_OrderKeptPerProducer([Values(0, 1, 4)] int capacity, [Values(1, 3)] int producers)
    {
        for (int round = 0; round < 20; round++)
        {
            var subject = new Subject<long>();
            var delivered = new List<long>();
            var consumer = Task.Run(async () =>
            {
                await foreach (long item in subject.DropWhenFull(capacity))
                {
                    delivered.Add(item);
                    if ((item & 7) == 0)
                    {
                        Thread.SpinWait(50);
                    }
                }
            });
            while (!subject.HasObservers)
            {
                await Task.Yield();
            }

            await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(() =>
            {
                for (long i = 0; i < 20_000; i++)
                {
                    lock (subject)
                    {
                        subject.OnNext((p * 1_000_000L) + i);
                    }
                }
            })));
            subject.OnCompleted();
            await consumer;

            Assert.That(delivered, Is.Unique, "no item delivered twice");
            foreach (var perProducer in delivered.GroupBy(v => v / 1_000_000L))
            {
                Assert.That(perProducer, Is.Ordered, "source order kept");
            }

            Assert.That(delivered, Is.Not.Empty);
        }
    }

    [Test]
    public async Task FastPathDrops_AWaitingConsumerAlwaysGetsTheNextArrival()
    {
        // Capacity 0: every arrival is discarded unless the consumer waits. Push one item at a time and only after the
        // consumer is waiting again: none may be discarded by a stale "full" flag.
        var subject = new Subject<int>();
        await using IAsyncEnumerator<int> e = subject.DropWhenFull(0).GetAsyncEnumerator();
        for (int i = 0; i < 2_000; i++)
        {
            ValueTask<bool> move = e.MoveNextAsync();
            subject.OnNext(i);
            Assert.That(await move, Is.True);
            Assert.That(e.Current, Is.EqualTo(i));
        }
    }
}
