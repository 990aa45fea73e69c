using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Interactive;

/// <summary>
/// Batch: 1 to <c>maxSize</c> items per batch, never waiting to fill one. Over this library's operators each batch is
/// taken under one acquisition of the buffer's lock and no read is left pending behind it; over any other sequence,
/// items are taken while <c>MoveNextAsync</c> completes synchronously.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class BatchOperator<T> : IAsyncEnumerable<IReadOnlyList<T>>
{
    /// <summary>The sequence to batch.</summary>
    private readonly IAsyncEnumerable<T> _source;

    /// <summary>The most items in a batch.</summary>
    private readonly int _maxSize;

    /// <summary>Initializes a new instance of the <see cref="BatchOperator{T}"/> class.</summary>
    /// <param name="source">The sequence to batch.</param>
    /// <param name="maxSize">The validated most items in a batch.</param>
    public BatchOperator(IAsyncEnumerable<T> source, int maxSize)
    {
        _source = source;
        _maxSize = maxSize;
    }

    /// <inheritdoc/>
    public IAsyncEnumerator<IReadOnlyList<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        IAsyncEnumerator<T> source = _source.GetAsyncEnumerator(cancellationToken);
        return source is BackpressureEnumerator<T> buffered
            ? new BufferBatchEnumerator(buffered, _maxSize)
            : AnySource(source, _maxSize, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Batches any sequence: the first item is awaited, the rest are those whose <c>MoveNextAsync</c> completes at once.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "Each ValueTask is kept in 'next' and consumed exactly once: awaited, or read synchronously after IsCompleted.")]
    private static async IAsyncEnumerable<IReadOnlyList<T>> AnySource(IAsyncEnumerator<T> source, int maxSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The consumer's token already flows to the source enumerator, created with it.
        cancellationToken.ThrowIfCancellationRequested();
        await using (source.ConfigureAwait(false))
        {
            ValueTask<bool> next = source.MoveNextAsync();
            while (await next.ConfigureAwait(false))
            {
                var batch = new List<T>(Math.Min(maxSize, 16)) { source.Current };
                ExceptionDispatchInfo? error = null;
                bool ended = false;
                bool pending = false;
                while (batch.Count < maxSize)
                {
                    next = source.MoveNextAsync();
                    if (!next.IsCompleted)
                    {
                        // Not available at once: this read starts the next batch.
                        pending = true;
                        break;
                    }

                    try
                    {
                        if (!next.GetAwaiter().GetResult())
                        {
                            ended = true;
                            break;
                        }
                    }
                    catch (Exception ex)
                    {
                        // The error comes after the items taken so far.
                        error = ExceptionDispatchInfo.Capture(ex);
                        break;
                    }

                    batch.Add(source.Current);
                }

                yield return batch;
                error?.Throw();
                if (ended)
                {
                    yield break;
                }

                if (!pending)
                {
                    next = source.MoveNextAsync();
                }
            }
        }
    }

    /// <summary>Batches one of this library's operators: each batch under one acquisition of its buffer's lock.</summary>
    private sealed class BufferBatchEnumerator : IAsyncEnumerator<IReadOnlyList<T>>
    {
        /// <summary>The operator's enumerator.</summary>
        private readonly BackpressureEnumerator<T> _source;

        /// <summary>The most items in a batch.</summary>
        private readonly int _maxSize;

        /// <summary>Initializes a new instance of the <see cref="BufferBatchEnumerator"/> class.</summary>
        /// <param name="source">The operator's enumerator.</param>
        /// <param name="maxSize">The most items in a batch.</param>
        public BufferBatchEnumerator(BackpressureEnumerator<T> source, int maxSize)
        {
            _source = source;
            _maxSize = maxSize;
        }

        /// <inheritdoc/>
        public IReadOnlyList<T> Current { get; private set; } = [];

        /// <inheritdoc/>
        public ValueTask<bool> MoveNextAsync()
        {
            ValueTask<bool> read = _source.MoveNextBatchAsync(_maxSize);
            if (read.IsCompletedSuccessfully)
            {
                return new ValueTask<bool>(read.Result && Take());
            }

            return AwaitAsync(read);
        }

        /// <inheritdoc/>
        public ValueTask DisposeAsync() => _source.DisposeAsync();

        private async ValueTask<bool> AwaitAsync(ValueTask<bool> read) => await read.ConfigureAwait(false) && Take();

        private bool Take()
        {
            Current = _source.TakeBatch(_maxSize);
            return true;
        }
    }
}
