using System;
using System.Threading;
using System.Threading.Tasks;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Reactive;

/// <summary>The bridge shape: a push source writes into the buffer from <c>OnNext</c>; the consumer pulls.</summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ObservableEnumerator<T> : BackpressureEnumerator<T>, IObserver<T>
{
    /// <summary>The push source, subscribed on the first <c>MoveNextAsync</c>.</summary>
    private readonly IObservable<T> _source;

    /// <summary>Initializes a new instance of the <see cref="ObservableEnumerator{T}"/> class.</summary>
    /// <param name="source">The push source.</param>
    /// <param name="policy">The operator's configuration.</param>
    /// <param name="cancellationToken">The consumer's token.</param>
    public ObservableEnumerator(IObservable<T> source, BufferPolicy<T> policy, CancellationToken cancellationToken)
        : base(policy, cancellationToken)
    {
        _source = source;
    }

    /// <inheritdoc/>
    public void OnNext(T value) => _ = Buffer.Write(value);

    /// <inheritdoc/>
    public void OnError(Exception error) =>
        Buffer.Fail(error ?? new ArgumentNullException(nameof(error), "The source called OnError(null): a sequence cannot fail without an exception."));

    /// <inheritdoc/>
    public void OnCompleted() => Buffer.Complete();

    /// <inheritdoc/>
    protected override void Start()
    {
        IDisposable subscription;
        try
        {
            subscription = _source.Subscribe(this);
        }
        catch (Exception ex)
        {
            // A throwing Subscribe fails the sequence like a source error.
            Buffer.Fail(ex);
            return;
        }

        Buffer.SetUpstream(subscription);
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeSourceAsync() => default;
}
