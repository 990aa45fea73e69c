using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Rx.Backpressure.Core;

/// <summary>
/// A reusable, allocation-free wait for a single waiter: the consumer waiting for an item, or the pump
/// waiting for room. <see cref="Wait"/> must be called under the owning buffer's gate, so no completion can
/// race the reset; completions are called after the gate is released.
/// </summary>
/// <remarks>
/// When the waiter must not run on the completing thread, the signal queues itself to the thread pool (it is its
/// own work item) and completes there, so resuming the waiter costs no allocation.
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    /// <summary>No continuation is registered yet (see <see cref="_continuation"/>).</summary>
    private const int NoContinuation = 0;

    /// <summary>The waiter registered its continuation first.</summary>
    private const int Registered = 1;

    /// <summary>The wait completed before any continuation was registered.</summary>
    private const int CompletedEarly = 2;

    /// <summary>Whether completions hop to the thread pool before resuming the waiter.</summary>
    private readonly bool _resumeOnThreadPool;

    /// <summary>The pooled promise; reset for every wait. Always completes inline: the hop, if any, is ours.</summary>
    private ManualResetValueTaskSourceCore<bool> _core;

    /// <summary>1 from <see cref="Wait"/> until the waiter has taken the result; a new wait before then is a contract violation.</summary>
    private int _awaited;

    /// <summary>The result to set when the queued completion runs.</summary>
    private bool _result;

    /// <summary>The exception to set when the queued completion runs, if any.</summary>
    private Exception? _error;

    /// <summary>
    /// With a hop: <see cref="NoContinuation"/> from <see cref="Wait"/> until the waiter registers its continuation
    /// (<see cref="Registered"/>) or the wait completes first (<see cref="CompletedEarly"/>). A wait completed before
    /// anyone awaits it needs no hop: the waiter finds it completed. Decided by one compare-and-swap on each side.
    /// </summary>
    private int _continuation;

    /// <summary>Initializes a new instance of the <see cref="AsyncSignal"/> class.</summary>
    /// <param name="runContinuationsAsynchronously">
    /// False to resume the waiter on the completing thread (virtual time); true to resume it on the thread pool
    /// (or the waiter's captured context), so a producer never runs the consumer's loop on its own stack.
    /// </param>
    public AsyncSignal(bool runContinuationsAsynchronously)
    {
        _resumeOnThreadPool = runContinuationsAsynchronously;
    }

    /// <summary>
    /// Gets a value indicating whether the last wait's result has not been taken yet. Until it has, the waiter
    /// must not start another wait, even if the wait was already completed.
    /// </summary>
    public bool IsAwaited => Volatile.Read(ref _awaited) != 0;

    /// <summary>Starts a new wait.</summary>
    /// <returns>The value task the waiter awaits.</returns>
    public ValueTask<bool> Wait()
    {
        _core.Reset();
        _continuation = NoContinuation;
        Volatile.Write(ref _awaited, 1);
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Ends the current wait with a result.</summary>
    /// <param name="result">The result.</param>
    public void Complete(bool result)
    {
        if (_resumeOnThreadPool && !TryClaimBeforeAwait())
        {
            _result = result;
            _error = null;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            _core.SetResult(result);
        }
    }

    /// <summary>Ends the current wait with an exception.</summary>
    /// <param name="error">The exception.</param>
    public void Fail(Exception error)
    {
        if (_resumeOnThreadPool && !TryClaimBeforeAwait())
        {
            _error = error;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>The queued completion: completes the promise on a pool thread, which resumes the waiter there.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_error is { } error)
        {
            _error = null;
            _core.SetException(error);
        }
        else
        {
            _core.SetResult(_result);
        }
    }

    /// <inheritdoc/>
    public bool GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _awaited, 0);
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (_resumeOnThreadPool && Interlocked.CompareExchange(ref _continuation, Registered, NoContinuation) == CompletedEarly)
        {
            // The wait completed before this registration, on the completing thread, which may still be setting the
            // result: wait for it, so the promise runs the continuation on the thread pool rather than on that thread.
            SpinWait spin = default;
            while (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
            {
                spin.SpinOnce();
            }
        }

        _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>With a hop: claims the completion for the completing thread when no continuation is registered yet, since none then needs to hop.</summary>
    /// <returns>True to set the result right here; false when a continuation waits and the result must hop.</returns>
    private bool TryClaimBeforeAwait() => Interlocked.CompareExchange(ref _continuation, CompletedEarly, NoContinuation) == NoContinuation;
}
