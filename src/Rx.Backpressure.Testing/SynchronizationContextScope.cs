using System;
using System.Threading;

namespace Rx.Backpressure.Testing;

/// <summary>
/// Clears <see cref="SynchronizationContext.Current"/> for a region and restores it afterwards. Async code
/// driven by a virtual-time scheduler continues inline only when no context is current; test frameworks
/// (NUnit 4.5 and later, for example) install one that posts continuations to the thread pool, which would take
/// the code out of virtual time.
/// </summary>
public sealed class SynchronizationContextScope : IDisposable
{
    /// <summary>The context that was current when the scope began.</summary>
    private readonly SynchronizationContext? _previous;

    /// <summary>Whether the scope has been disposed.</summary>
    private bool _disposed;

    private SynchronizationContextScope()
    {
        _previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
    }

    /// <summary>Clears the current context until the returned scope is disposed.</summary>
    /// <returns>The scope; dispose it on the same thread to restore the previous context.</returns>
    public static SynchronizationContextScope Clear() => new();

    /// <summary>Restores the context that was current when the scope began.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            SynchronizationContext.SetSynchronizationContext(_previous);
        }
    }
}
