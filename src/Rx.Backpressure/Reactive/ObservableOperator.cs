using System;
using System.Collections.Generic;
using System.Threading;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Reactive;

/// <summary>A cold bridge from a push source: every enumeration subscribes with its own buffer.</summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ObservableOperator<T> : IAsyncEnumerable<T>
{
    /// <summary>The push source.</summary>
    private readonly IObservable<T> _source;

    /// <summary>The operator's configuration, shared by its enumerations.</summary>
    private readonly BufferPolicy<T> _policy;

    /// <summary>Initializes a new instance of the <see cref="ObservableOperator{T}"/> class.</summary>
    /// <param name="source">The push source.</param>
    /// <param name="policy">The validated configuration.</param>
    public ObservableOperator(IObservable<T> source, BufferPolicy<T> policy)
    {
        _source = source;
        _policy = policy;
    }

    /// <inheritdoc/>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new ObservableEnumerator<T>(_source, _policy, cancellationToken);
}
