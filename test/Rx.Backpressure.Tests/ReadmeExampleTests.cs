using System;
using System.Reactive.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests;

/// <summary>The README's first example, verbatim, so it always compiles and does what the README says.</summary>
public sealed class ReadmeExampleTests
{
    [Test]
    [Category("RealThreads")]
    public async Task Readme_FirstExample_Runs()
    {
        int consumed = await Example.RunAsync();

        Assert.That(consumed, Is.EqualTo(65));
    }

    public static class Example
    {
        public static async Task<int> RunAsync()
        {
            // A fast producer: 1,000 ticks pushed as fast as possible.
            IObservable<int> ticks = Observable.Range(1, 1_000);

            var counters = new BackpressureCounters();
            int consumed = 0;

            // At most 64 ticks wait for the consumer; when full, the newest arrivals are dropped and counted.
            await foreach (int tick in ticks.DropWhenFull(capacity: 64, counters: counters))
            {
                await Task.Delay(1);   // a slow consumer
                consumed++;
            }

            Console.WriteLine($"delivered {counters.Delivered}, dropped {counters.Dropped}");  // delivered + dropped = 1,000
            return consumed;
        }
    }
}
