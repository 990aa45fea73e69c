using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.Backpressure.Core;

/// <summary>
/// The consumer side shared by both shapes: lazy start on the first <see cref="MoveNextAsync"/>, reads from
/// the buffer, cancellation and disposal. The shapes differ only in <see cref="Start"/> (subscribe, or start
/// the pump) and <see cref="DisposeSourceAsync"/>.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal abstract class BackpressureEnumerator<T> : IAsyncEnumerator<T>
{
    /// <summary>The consumer's token (from <c>GetAsyncEnumerator</c> / <c>WithCancellation</c>).</summary>
    private readonly CancellationToken _cancellationToken;

    /// <summary>The token registration that stops the buffer when the consumer cancels.</summary>
    private CancellationTokenRegistration _registration;

    /// <summary>Whether the source has been subscribed or the pump started.</summary>
    private bool _started;

    /// <summary>Initializes a new instance of the <see cref="BackpressureEnumerator{T}"/> class.</summary>
    /// <param name="policy">The operator's configuration.</param>
    /// <param name="cancellationToken">The consumer's token.</param>
    protected BackpressureEnumerator(BufferPolicy<T> policy, CancellationToken cancellationToken)
    {
        Buffer = new BackpressureBuffer<T>(policy);
        _cancellationToken = cancellationToken;
    }

    /// <inheritdoc/>
    public T Current => Buffer.Current;

    /// <summary>Gets how many ring slots the buffer has allocated now (tests: memory follows the items held).</summary>
    internal int AllocatedSlots => Buffer.AllocatedSlots();

    /// <summary>Gets a value indicating whether the buffer's hint says the pump reads a source that answers at once (tests).</summary>
    internal bool PumpReading => Buffer.PumpReading;

    /// <summary>Gets the buffer between the source and the consumer.</summary>
    protected BackpressureBuffer<T> Buffer { get; }

    /// <inheritdoc/>
    public ValueTask<bool> MoveNextAsync() => Read(0);

    /// <summary>
    /// Reads a batch of 1 to <paramref name="maxSize"/> items: the items available now, under one acquisition of the
    /// buffer's lock, or — when none is — the first to arrive plus those available then. Take it with <see cref="TakeBatch"/>.
    /// </summary>
    /// <param name="maxSize">The most items in a batch, at least 1.</param>
    /// <returns>True with a batch; false at the end.</returns>
    public ValueTask<bool> MoveNextBatchAsync(int maxSize) => Read(maxSize);

    /// <summary>Takes the batch read by the last <see cref="MoveNextBatchAsync"/> that returned true.</summary>
    /// <param name="maxSize">The same most items in a batch.</param>
    /// <returns>The batch.</returns>
    public T[] TakeBatch(int maxSize) => Buffer.TakeBatch(maxSize);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _registration.Unregister();
        Exception? error = Buffer.Stop(null);

        // A cancellation's stop may still be running on the cancelling thread: nothing of it runs after this returns,
        // and what it met (a throwing onDropped, a failing dispose of the source) is thrown here, with the late faults.
        await Buffer.WhenStopReported().ConfigureAwait(false);
        if (_started)
        {
            await DisposeSourceAsync().ConfigureAwait(false);
        }

        error = Faults.Combine(error, Buffer.TakeLateFault());
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>Subscribes to the source or starts the pump. Called once, on the first <see cref="MoveNextAsync"/>.</summary>
    protected abstract void Start();

    /// <summary>Waits for the source side to finish after the buffer stopped (the pump and the source enumerator).</summary>
    /// <returns>A task that completes when nothing of the source side is left running.</returns>
    protected abstract ValueTask DisposeSourceAsync();

    /// <summary>Reads an item (<paramref name="maxSize"/> 0) or a batch, subscribing or starting the pump on the first call.</summary>
    private ValueTask<bool> Read(int maxSize)
    {
        // An enumerator disposed (or cancelled) before its first MoveNextAsync never starts: the stopped buffer answers.
        if (!_started && !Buffer.IsStopped)
        {
            _started = true;
            if (_cancellationToken.IsCancellationRequested)
            {
                _ = Buffer.Stop(new OperationCanceledException(_cancellationToken));
            }
            else
            {
                if (_cancellationToken.CanBeCanceled)
                {
                    _registration = _cancellationToken.UnsafeRegister(static state => ((BackpressureEnumerator<T>)state!).OnCancelled(), this);
                }

                // Wait first, then start: an item the source produces during Subscribe (or the pump's first read)
                // goes straight to this waiting consumer instead of occupying a slot.
                ValueTask<bool> first = maxSize == 0 ? Buffer.ReadAsync() : Buffer.ReadBatchAsync(maxSize);
                Start();
                return first;
            }
        }

        return maxSize == 0 ? Buffer.ReadAsync() : Buffer.ReadBatchAsync(maxSize);
    }

    private void OnCancelled()
    {
        _ = Buffer.Stop(new OperationCanceledException(_cancellationToken));
    }
}
