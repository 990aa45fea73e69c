using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// One way of bridging a fast producer to a consumer: Rx.Backpressure's operators and the peers a user would pick
/// otherwise. Each run pushes <c>count</c> ints as fast as the way allows and consumes them.
/// </summary>
public sealed record Scenario(string Name, bool Ours, bool Lossy, bool Unbounded, Func<int, bool, Task<Outcome>> Run)
{
    public const int Capacity = 1024;

    /// <summary>The batch size of the batched ways.</summary>
    public const int BatchSize = 256;

    private static ActorSystem? _akka;

    public static IReadOnlyList<Scenario> All { get; } =
    [

        // Rx.Backpressure, bridge shape (push source → await foreach)
        new("Bridge BufferBounded(1024, DropOldest)", true, true, false, (n, slow) => Bridge(n, slow, s => s.BufferBounded(Capacity, BufferOverflow.DropOldest))),
        new("Bridge DropWhenFull(1024)", true, true, false, (n, slow) => Bridge(n, slow, s => s.DropWhenFull(Capacity))),
        new("Bridge SampleWhenFull(1024)", true, true, false, (n, slow) => Bridge(n, slow, s => s.SampleWhenFull(Capacity))),
        new("Bridge ThrottleOnPressure(1024, 256) + gate", true, false, false, BridgeThrottle),
        new("Bridge LatestByKey(1024 keys)", true, true, false, (n, slow) => Bridge(n, slow, s => s.LatestByKey(x => x & 1023, Capacity))),

        // Rx.Backpressure at the end of a pipeline: batches, and back into Rx
        new("Bridge DropWhenFull(1024).Batch(256)", true, true, false, (n, slow) => Batched(n, slow, s => s.DropWhenFull(Capacity).Batch(BatchSize))),
        new("Bridge SampleWhenFull(1024).ObserveOn(TaskPool)", true, true, false, (n, slow) => BoundedObserveOn(n, slow)),

        // Rx.Backpressure, pull shape (IAsyncEnumerable source → await foreach)
        new("Pull BufferBounded(1024, Wait)", true, false, false, (n, slow) => Pull(n, slow, s => s.BufferBounded(Capacity))),
        new("Pull DropWhenFull(1024)", true, true, false, (n, slow) => Pull(n, slow, s => s.DropWhenFull(Capacity))),
        new("Pull SampleWhenFull(1024)", true, true, false, (n, slow) => Pull(n, slow, s => s.SampleWhenFull(Capacity))),
        new("Pull ThrottleOnPressure(1024, 256)", true, false, false, (n, slow) => Pull(n, slow, s => s.ThrottleOnPressure(Capacity, 256))),

        // Peers
        new("Channel(1024) Wait, producer task", false, false, false, ChannelWait),
        new("Subject → Channel(1024) DropOldest TryWrite", false, true, false, (n, slow) => SubjectToChannel(n, slow, BoundedChannelFullMode.DropOldest)),
        new("Subject → Channel(1024) DropWrite TryWrite", false, true, false, (n, slow) => SubjectToChannel(n, slow, BoundedChannelFullMode.DropWrite)),
        new("Subject → Channel(1024) Wait, producer awaits room", false, false, false, SubjectToChannelWait),
        new("Source alone, consumed on one thread", false, false, false, (n, slow) => Consume(Range(n), slow).ContinueWith(t => t.Result with { Produced = n }, TaskScheduler.Default)),
        new("Channel(1024) pump over IAsyncEnumerable", false, false, false, ChannelPump),
        new("Ix ToAsyncEnumerable (unbounded)", false, false, true, (n, slow) => Bridge(n, slow, s => AsyncEnumerableEx.ToAsyncEnumerable(s))),
        new("Ix ToAsyncEnumerable().Buffer(256) (unbounded)", false, false, true, (n, slow) => Batched(n, slow, s => AsyncEnumerableEx.Buffer(AsyncEnumerableEx.ToAsyncEnumerable(s), BatchSize))),
        new("Rx ObserveOn(TaskPool) (unbounded)", false, false, true, ObserveOn),
        new("Dataflow BufferBlock(1024)", false, false, false, Dataflow),
        new("Akka.Streams Buffer(1024, Backpressure)", false, false, false, Akka),
    ];

    public static Scenario Named(string name) => All.First(s => s.Name == name);

    public static void Shutdown()
    {
        _akka?.Terminate().Wait();
        _akka = null;
    }

    private static async Task<Outcome> Consume(IAsyncEnumerable<int> sequence, bool slow, TaskCompletionSource? running = null)
    {
        long delivered = 0;
        await foreach (int item in sequence.ConfigureAwait(false))
        {
            Consumer.Work(slow);
            if (delivered++ == 0)
            {
                running?.TrySetResult();
            }
        }

        return new Outcome(0, delivered);
    }

    private static async Task<Outcome> Bridge(int n, bool slow, Func<IObservable<int>, IAsyncEnumerable<int>> apply)
    {
        var subject = new Subject<int>();
        var running = Running();
        Task<Outcome> consumer = Consume(apply(subject), slow, running);   // subscribes on its first MoveNextAsync, synchronously
        await PushAll(subject, n, running.Task).ConfigureAwait(false);
        return (await consumer.ConfigureAwait(false)) with { Produced = n };
    }

    /// <summary>A push source consumed in batches: items delivered are the items in the batches.</summary>
    private static async Task<Outcome> Batched<TList>(int n, bool slow, Func<IObservable<int>, IAsyncEnumerable<TList>> apply)
        where TList : IEnumerable<int>
    {
        var subject = new Subject<int>();
        var running = Running();
        async Task<Outcome> ConsumeAsync()
        {
            long delivered = 0;
            await foreach (TList batch in apply(subject).ConfigureAwait(false))
            {
                foreach (int item in batch)
                {
                    Consumer.Work(slow);
                    delivered++;
                }

                running.TrySetResult();
            }

            return new Outcome(0, delivered);
        }

        Task<Outcome> consumer = ConsumeAsync();
        await PushAll(subject, n, running.Task, warmUp: BatchSize).ConfigureAwait(false);
        return (await consumer.ConfigureAwait(false)) with { Produced = n };
    }

    /// <summary>Back into Rx through the bounded ObserveOn, the counterpart of Rx's own ObserveOn below.</summary>
    private static async Task<Outcome> BoundedObserveOn(int n, bool slow)
    {
        var subject = new Subject<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Running();
        long delivered = 0;
        using var subscription = subject.SampleWhenFull(Capacity).ObserveOn(TaskPoolScheduler.Default).Subscribe(
            _ =>
            {
                Consumer.Work(slow);
                if (delivered++ == 0)
                {
                    running.TrySetResult();
                }
            },
            () => done.SetResult());
        while (!subject.HasObservers)
        {
            await Task.Yield();
        }

        await PushAll(subject, n, running.Task).ConfigureAwait(false);
        await done.Task.ConfigureAwait(false);
        return new Outcome(n, delivered);
    }

    /// <summary>
    /// A producer task that pushes 0..n-1 as fast as it can, then completes. It pushes the first
    /// <paramref name="warmUp"/> items (enough for the consumer to receive something: one item, or a whole batch for
    /// a way that waits to fill one) and waits until the consumer has received them: then the consumer's thread is
    /// running when the burst starts. Without that, how much a lossy way delivers depends on when the thread pool
    /// first runs the consumer, before or after a burst of a few milliseconds. Every way, ours and the peers, is
    /// started like this.
    /// </summary>
    private static Task PushAll(Subject<int> subject, int n, Task running, int warmUp = 1) => Task.Run(() =>
    {
        for (int i = 0; i < warmUp; i++)
        {
            subject.OnNext(i);
        }

        running.Wait();
        for (int i = warmUp; i < n; i++)
        {
            subject.OnNext(i);
        }

        subject.OnCompleted();
    });

    /// <summary>Completed by the consumer when it receives its first item.</summary>
    private static TaskCompletionSource Running() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task<Outcome> BridgeThrottle(int n, bool slow)
    {
        var subject = new Subject<int>();
        var gate = new PressureGate();
        Task<Outcome> consumer = Consume(subject.ThrottleOnPressure(Capacity, 256, gate), slow);
        await Task.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                ValueTask wait = gate.WaitAsync();
                if (!wait.IsCompletedSuccessfully)
                {
                    await wait.ConfigureAwait(false);
                }

                subject.OnNext(i);
            }

            subject.OnCompleted();
        }).ConfigureAwait(false);
        return (await consumer.ConfigureAwait(false)) with { Produced = n };
    }

    private static async IAsyncEnumerable<int> Range(int n)
    {
        for (int i = 0; i < n; i++)
        {
            yield return i;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static async Task<Outcome> Pull(int n, bool slow, Func<IAsyncEnumerable<int>, IAsyncEnumerable<int>> apply) =>
        (await Consume(apply(Range(n)), slow).ConfigureAwait(false)) with { Produced = n };

    private static async Task<Outcome> ChannelWait(int n, bool slow)
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        Task<Outcome> consumer = Consume(channel.Reader.ReadAllAsync(), slow);
        await Task.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                if (!channel.Writer.TryWrite(i))
                {
                    await channel.Writer.WriteAsync(i).ConfigureAwait(false);
                }
            }

            channel.Writer.Complete();
        }).ConfigureAwait(false);
        return (await consumer.ConfigureAwait(false)) with { Produced = n };
    }

    private static async Task<Outcome> SubjectToChannel(int n, bool slow, BoundedChannelFullMode mode)
    {
        var subject = new Subject<int>();
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = mode, SingleReader = true, SingleWriter = true });
        using var subscription = subject.Subscribe(x => channel.Writer.TryWrite(x), () => channel.Writer.Complete());
        var running = Running();
        Task<Outcome> consumer = Consume(channel.Reader.ReadAllAsync(), slow, running);
        await PushAll(subject, n, running.Task).ConfigureAwait(false);
        return (await consumer.ConfigureAwait(false)) with { Produced = n };
    }

    /// <summary>The lossless peer of ThrottleOnPressure + gate: a Subject into a Channel(Wait) whose producer awaits room.</summary>
    private static async Task<Outcome> SubjectToChannelWait(int n, bool slow)
    {
        var subject = new Subject<int>();
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        using var subscription = subject.Subscribe(x => channel.Writer.TryWrite(x), () => channel.Writer.Complete());
        Task<Outcome> consumer = Consume(channel.Reader.ReadAllAsync(), slow);
        await Task.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                ValueTask<bool> room = channel.Writer.WaitToWriteAsync();
                if (!room.IsCompletedSuccessfully)
                {
                    await room.ConfigureAwait(false);
                }

                subject.OnNext(i);
            }

            subject.OnCompleted();
        }).ConfigureAwait(false);
        return (await consumer.ConfigureAwait(false)) with { Produced = n };
    }

    private static async Task<Outcome> ChannelPump(int n, bool slow)
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        var pump = Task.Run(async () =>
        {
            await foreach (int item in Range(n).ConfigureAwait(false))
            {
                if (!channel.Writer.TryWrite(item))
                {
                    await channel.Writer.WriteAsync(item).ConfigureAwait(false);
                }
            }

            channel.Writer.Complete();
        });
        Outcome outcome = await Consume(channel.Reader.ReadAllAsync(), slow).ConfigureAwait(false);
        await pump.ConfigureAwait(false);
        return outcome with { Produced = n };
    }

    private static async Task<Outcome> ObserveOn(int n, bool slow)
    {
        var subject = new Subject<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Running();
        long delivered = 0;
        using var subscription = subject.ObserveOn(TaskPoolScheduler.Default).Subscribe(
            _ =>
            {
                Consumer.Work(slow);
                if (delivered++ == 0)
                {
                    running.TrySetResult();
                }
            },
            () => done.SetResult());
        await PushAll(subject, n, running.Task).ConfigureAwait(false);
        await done.Task.ConfigureAwait(false);
        return new Outcome(n, delivered);
    }

    private static async Task<Outcome> Dataflow(int n, bool slow)
    {
        var block = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = Capacity });
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                if (!block.Post(i))
                {
                    await block.SendAsync(i).ConfigureAwait(false);
                }
            }

            block.Complete();
        });
        long delivered = 0;
        while (await block.OutputAvailableAsync().ConfigureAwait(false))
        {
            while (block.TryReceive(out _))
            {
                Consumer.Work(slow);
                delivered++;
            }
        }

        await producer.ConfigureAwait(false);
        return new Outcome(n, delivered);
    }

    private static async Task<Outcome> Akka(int n, bool slow)
    {
        _akka ??= ActorSystem.Create("bench", "akka.loglevel = OFF\nakka.stdout-loglevel = OFF");
        var materializer = _akka.Materializer();
        long delivered = 0;
        await Source.From(Enumerable.Range(0, n))
            .Buffer(Capacity, OverflowStrategy.Backpressure)
            .Async()
            .RunForeach(
                _ =>
                {
                    Consumer.Work(slow);
                    delivered++;
                },
                materializer)
            .ConfigureAwait(false);
        return new Outcome(n, delivered);
    }
}
