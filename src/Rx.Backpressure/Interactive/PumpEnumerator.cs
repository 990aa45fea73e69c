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
    /// <summary>The pull source.</summary>
    private readonly IAsyncEnumerable<T> _source;

    /// <summary>Whether the scheduler keeps virtual time: then the pump runs inline, inside its actions; otherwise on the thread pool.</summary>
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
        try
        {
            // One acquisition of the buffer's gate per item: the write also says whether the next read may follow at once.
            bool mayRead = await Buffer.WaitForRoomAsync().ConfigureAwait(false);
            while (mayRead)
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    completed = true;
                    break;
                }

                mayRead = Buffer.Write(enumerator.Current) || await Buffer.WaitForRoomAsync().ConfigureAwait(false);
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
