using System.Collections.Generic;
using System.Threading;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Interactive;

/// <summary>The pull shape: every enumeration starts its own pump over the source with its own buffer.</summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class PumpOperator<T> : IAsyncEnumerable<T>
{
    /// <summary>The pull source.</summary>
    private readonly IAsyncEnumerable<T> _source;

    /// <summary>The operator's configuration, shared by its enumerations.</summary>
    private readonly BufferPolicy<T> _policy;

    /// <summary>Initializes a new instance of the <see cref="PumpOperator{T}"/> class.</summary>
    /// <param name="source">The pull source.</param>
    /// <param name="policy">The validated configuration.</param>
    public PumpOperator(IAsyncEnumerable<T> source, BufferPolicy<T> policy)
    {
        _source = source;
        _policy = policy;
    }

    /// <inheritdoc/>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new PumpEnumerator<T>(_source, _policy, cancellationToken);
}
