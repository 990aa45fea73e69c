using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CsCheck;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// Linearizability of the core buffer: random operations (write, read, complete, stop) run in parallel on one
/// buffer, and the final state must equal the state after some sequential order of the same operations
/// (CsCheck's SampleParallel).
/// </summary>
[Category("Reliability")]
public sealed class LinearizabilityTests
{
    public const int Iterations = 200;

    private static long _operations;

    public static long Operations => Interlocked.Read(ref _operations);

    public static readonly string[] Policies =
    [
        "BufferBounded(3, DropOldest)", "BufferBounded(3, DropNewest)", "BufferBounded(2, Error)", "DropWhenFull(2)", "DropWhenFull(0)",
        "SampleWhenFull(2)", "ThrottleOnPressure(2, 1, capacity 3)",
    ];

    [TestCaseSource(nameof(Policies))]
    public void CoreBuffer_IsLinearizable(string policy)
    {
        // Producers (several threads calling OnNext — a contract violation the buffer must survive), completion,
        // failure and the consumer's stop run in parallel; the consumer may be waiting in a read when they start.
        // Reads are the single consumer's: they happen before (the waiting read) and after (the final drain).
        Gen.Bool.Select(waiting => new State(policy, waiting)).SampleParallel(
            Gen.Int[1, 99].Operation<State>(v => $"Write({v})", (s, v) => s.Write(v)),
            Gen.Const(0).Operation<State>(_ => "Complete", (s, _) => s.Complete()),
            Gen.Const(0).Operation<State>(_ => "Fail", (s, _) => s.Fail()),
            Gen.Const(0).Operation<State>(_ => "Stop", (s, _) => s.Stop()),
            equal: (a, b) => a.DrainAndDescribe() == b.DrainAndDescribe(),
            iter: Iterations,
            threads: 1,
            print: s => s.DrainAndDescribe());
    }

    /// <summary>A virtual-time scheduler makes reads resume synchronously; no timer is ever scheduled on it here.</summary>
    private static readonly TestScheduler Virtual = new();

    private static BufferPolicy<int> Create(string name, State s) => name switch
    {
        "BufferBounded(3, DropOldest)" => BufferPolicy<int>.BufferBounded(3, BufferOverflow.DropOldest, s.Dropped, Virtual, s.Counters, null),
        "BufferBounded(3, DropNewest)" => BufferPolicy<int>.BufferBounded(3, BufferOverflow.DropNewest, s.Dropped, Virtual, s.Counters, null),
        "BufferBounded(2, Error)" => BufferPolicy<int>.BufferBounded(2, BufferOverflow.Error, s.Dropped, Virtual, s.Counters, null),
        "DropWhenFull(2)" => BufferPolicy<int>.DropWhenFull(2, s.Dropped, Virtual, s.Counters, null),
        "DropWhenFull(0)" => BufferPolicy<int>.DropWhenFull(0, s.Dropped, Virtual, s.Counters, null),
        "SampleWhenFull(2)" => BufferPolicy<int>.SampleWhenFull(2, null, s.Dropped, Virtual, s.Counters, null),
        _ => BufferPolicy<int>.ThrottleOnPressure(2, 1, s.Pressure, 3, BufferOverflow.DropIncoming, s.Dropped, Virtual, s.Counters, null),
    };

    /// <summary>
    /// A buffer and what its callbacks saw. Reads resume synchronously (a scheduler is given). A read issued while
    /// the previous one has not returned is rejected by the buffer (a consumer may not do that); it changes nothing,
    /// so it is left out of the state — its linearization point is "before the previous read returned".
    /// </summary>
    public sealed class State
    {
        private readonly Lock _gate = new();
        private readonly BackpressureBuffer<int> _buffer;
        private readonly List<int> _delivered = [];
        private readonly List<int> _dropped = [];
        private readonly List<bool> _pressure = [];
        private readonly List<string> _ends = [];
        private int _rejected;

        public State(string policy, bool waiting)
        {
            Pressure = System.Reactive.Observer.Create<bool>(on =>
            {
                lock (_gate)
                {
                    _pressure.Add(on);
                }
            });
            _buffer = new BackpressureBuffer<int>(Create(policy, this));
            Waiting = waiting;
            if (waiting)
            {
                Read();
            }
        }

        public bool Waiting { get; }

        public BackpressureCounters Counters { get; } = new();

        public IObserver<bool> Pressure { get; }

        public void Dropped(int item)
        {
            lock (_gate)
            {
                _dropped.Add(item);
            }
        }

        public void Write(int item)
        {
            Interlocked.Increment(ref _operations);
            _buffer.Write(item);
        }

        public void Complete()
        {
            Interlocked.Increment(ref _operations);
            _buffer.Complete();
        }

        public void Fail()
        {
            Interlocked.Increment(ref _operations);
            _buffer.Fail(Failure);
        }

        public void Stop()
        {
            Interlocked.Increment(ref _operations);
            _ = _buffer.Stop(null);
        }

        private static readonly InvalidOperationException Failure = new("source failed");

        private readonly Lock _drain = new();

        private string? _description;

        /// <summary>The consumer reads what it can without waiting, then the state is described (once).</summary>
        public string DrainAndDescribe()
        {
            lock (_drain)
            {
                return _description ??= Drain();
            }
        }

        private string Drain()
        {
            {
                int before;
                do
                {
                    before = _delivered.Count + _ends.Count;
                    Read();
                }
                while (_delivered.Count + _ends.Count > before && _ends.Count == 0);

                return (Waiting ? "waiting; " : string.Empty) + Describe();
            }
        }

        private void Read()
        {
            System.Runtime.CompilerServices.ValueTaskAwaiter<bool> awaiter;
            try
            {
                awaiter = _buffer.ReadAsync().GetAwaiter();
            }
            catch (InvalidOperationException)
            {
                lock (_gate)
                {
                    _rejected++;
                }

                return;
            }

            if (awaiter.IsCompleted)
            {
                Record(awaiter);
            }
            else
            {
                awaiter.OnCompleted(() => Record(awaiter));
            }
        }

        public string Describe()
        {
            lock (_gate)
            {
                var (buffered, hasPending, pending) = _buffer.Snapshot();
                return $"buffered [{string.Join(",", buffered)}]{(hasPending ? $" pending {pending}" : string.Empty)}; " +
                    $"delivered [{string.Join(",", _delivered)}]; dropped {{{string.Join(",", _dropped.Order())}}}; " +
                    $"pressure [{string.Join(",", _pressure)}]; ends {{{string.Join(",", _ends.Order())}}}; " +
                    $"counters received {Counters.Received} = delivered {Counters.Delivered} + dropped {Counters.Dropped} + buffered {Counters.Buffered}";
            }
        }

        private void Record(System.Runtime.CompilerServices.ValueTaskAwaiter<bool> completed)
        {
            try
            {
                bool hasItem = completed.GetResult();
                lock (_gate)
                {
                    if (hasItem)
                    {
                        _delivered.Add(_buffer.Current);
                    }
                    else
                    {
                        _ends.Add("completed");
                    }
                }
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _ends.Add(ex.GetType().Name);
                }
            }
        }
    }
}
