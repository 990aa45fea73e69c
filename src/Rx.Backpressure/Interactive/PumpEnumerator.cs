using System;
using System.Collections.Generic;
using System.Reactive.Disposables;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Interactive;

/// <summary>
/// The pull shape: a pump reads the source into the buffer, ahead of the consumer. It asks the buffer before
/// each read, so Wait and ThrottleOnPressure pause the source while every other policy reads it as fast as it
/// yields.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class PumpEnumerator<T> : BackpressureEnumerator<T>
{
    /// <summary>The most items the pump reads ahead before it writes them (the consumer's span takes as many at once).</summary>
    private const int RunLength = 64;

    /// <summary>The pull source.</summary>
    private readonly IAsyncEnumerable<T> _source;

    /// <summary>
    /// Whether the scheduler keeps virtual time: then the pump runs inline, inside its actions; otherwise on the thread
    /// pool, and it tells the buffer while it reads a source that answers at once (see BackpressureBuffer.PumpReading).
    /// </summary>
    private readonly bool _inline;

    /// <summary>Cancels the source enumerator when the buffer stops accepting items.</summary>
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The running pump; null until started.</summary>
    private Task? _pump;

    /// <summary>Initializes a new instance of the <see cref="PumpEnumerator{T}"/> class.</summary>
    /// <param name="source">The pull source.</param>
    /// <param name="policy">The operator's configuration.</param>
    /// <param name="cancellationToken">The consumer's token.</param>
    public PumpEnumerator(IAsyncEnumerable<T> source, BufferPolicy<T> policy, CancellationToken cancellationToken)
        : base(policy, cancellationToken)
    {
        _source = source;
        _inline = policy.IsVirtualTime;
    }

    /// <inheritdoc/>
    protected override void Start()
    {
        Buffer.SetUpstream(new CancellationDisposable(_stop));
        _pump = _inline ? PumpAsync() : Task.Run(PumpAsync);
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeSourceAsync()
    {
        if (_pump is not null)
        {
            await _pump.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        IAsyncEnumerator<T> enumerator;
        try
        {
            enumerator = _source.GetAsyncEnumerator(_stop.Token);
        }
        catch (Exception ex)
        {
            Buffer.Fail(ex);
            return;
        }

        Exception? error = null;
        bool completed = false;
        var run = new T[RunLength];
        int staged = 0;

        // Single items written directly since the buffer last gave a budget of 1 (0: none). At a full buffer a policy
        // that never pauses the source gets a budget of 1, and a run of one item would take the gate only to find no
        // room and pass it on to Write. So the pump writes such items with Write itself, and asks for a run's budget
        // again once per run's length, or after it waited for room.
        int singles = 0;
        try
        {
            // The pump reads ahead as many items as its budget allows (the room left; at least 1 for a policy that
            // never pauses the source), keeps them while the source answers at once, and writes them under one
            // acquisition of the gate. It writes at once when the consumer waits, when the budget or the run is spent,
            // and before it awaits the source: it never holds items while waiting.
            int budget = await Buffer.WaitForRoomAsync().ConfigureAwait(false) ? 1 : 0;

            // While it reads a source that answers at once, a consumer that finds nothing spins briefly instead of
            // waiting (see BackpressureBuffer.PumpReading); never in virtual time, where nothing runs concurrently.
            Buffer.PumpReading = !_inline;
            while (budget > 0)
            {
                // A read that completes at once is taken on the spot (one status check, as an await would make).
                ValueTask<bool> read = enumerator.MoveNextAsync();
                bool hasItem;
                if (read.IsCompleted)
                {
                    hasItem = read.GetAwaiter().GetResult();
                }
                else
                {
                    if (staged > 0)
                    {
                        // The run's items were counted in the budget, so writing them leaves it as it is, unless the
                        // buffer stopped accepting items: then only the read in flight is still offered (and reported).
                        budget = Math.Max(1, Math.Min(budget, Buffer.WriteRun(run, staged)));
                        staged = 0;
                    }

                    Buffer.PumpReading = false;
                    hasItem = await read.ConfigureAwait(false);
                    Buffer.PumpReading = !_inline;
                }

                if (!hasItem)
                {
                    completed = true;
                    break;
                }

                run[staged++] = enumerator.Current;
                if (--budget == 0 || staged == run.Length || Buffer.ReaderWaiting)
                {
                    if (staged == 1 && singles is > 0 and < RunLength)
                    {
                        budget = Buffer.Write(run[0]) ? 1 : 0;
                        run[0] = default!;
                        singles++;
                    }
                    else
                    {
                        budget = Buffer.WriteRun(run, staged);
                        singles = budget == 1 ? 1 : 0;
                    }

                    staged = 0;
                    if (budget == 0)
                    {
                        singles = 0;
                        Buffer.PumpReading = false;
                        budget = await Buffer.WaitForRoomAsync().ConfigureAwait(false) ? 1 : 0;
                        Buffer.PumpReading = !_inline;
                    }

                    budget = Math.Min(budget, RunLength);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The buffer stopped accepting items and cancelled the source: not an error of the source.
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Buffer.PumpReading = false;
        if (staged > 0)
        {
            // Items read before an end or a fault are offered like any other (after a stop, they are reported dropped).
            _ = Buffer.WriteRun(run, staged);
        }

        // The source enumerator is disposed before the end is signalled, as an Rx sink disposes its subscription.
        try
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error ??= ex;
        }

        if (error is not null)
        {
            Buffer.Fail(error);
        }
        else if (completed)
        {
            Buffer.Complete();
        }
    }
}
