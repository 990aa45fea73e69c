using System;
using System.Collections.Generic;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// A cold pull source in virtual time. Each enumeration replays <see cref="Messages"/>, whose times are relative
/// to <c>GetAsyncEnumerator</c>: a message becomes available at its time, and a <c>MoveNextAsync</c> returns it at
/// the later of that time and the tick it was called — a pull source waits for its consumer and loses nothing.
/// Records the tick of every <c>MoveNextAsync</c> (<see cref="Requests"/>) and every enumeration's lifetime
/// (<see cref="Subscriptions"/>), so a test can prove when a producer was paused.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class TestAsyncEnumerable<T> : IAsyncEnumerable<T>
{
    /// <summary>The virtual clock.</summary>
    private readonly TestScheduler _scheduler;

    /// <summary>The ticks of every <c>MoveNextAsync</c> call, across enumerations.</summary>
    private readonly List<long> _requests = [];

    /// <summary>The enumerations' lifetimes.</summary>
    private readonly List<Subscription> _subscriptions = [];

    /// <summary>Initializes a new instance of the <see cref="TestAsyncEnumerable{T}"/> class.</summary>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="messages">The notifications, with times relative to the start of each enumeration, in time order.</param>
    public TestAsyncEnumerable(TestScheduler scheduler, IReadOnlyList<Recorded<Notification<T>>> messages)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(messages);
        _scheduler = scheduler;
        Messages = messages;
    }

    /// <summary>Gets the notifications each enumeration replays, with relative times.</summary>
    public IReadOnlyList<Recorded<Notification<T>>> Messages { get; }

    /// <summary>Gets the virtual ticks at which <c>MoveNextAsync</c> was called, in call order.</summary>
    public IReadOnlyList<long> Requests => _requests;

    /// <summary>Gets each enumeration's lifetime: <c>GetAsyncEnumerator</c> to <c>DisposeAsync</c>.</summary>
    public IReadOnlyList<Subscription> Subscriptions => _subscriptions;

    /// <inheritdoc/>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        _subscriptions.Add(new Subscription(_scheduler.Clock));
        return new Enumerator(this, _subscriptions.Count - 1, _scheduler.Clock, cancellationToken);
    }

    /// <summary>One enumeration of the recorded messages.</summary>
    private sealed class Enumerator : IAsyncEnumerator<T>
    {
        /// <summary>The owning source.</summary>
        private readonly TestAsyncEnumerable<T> _parent;

        /// <summary>Index of this enumeration in the parent's subscriptions.</summary>
        private readonly int _subscriptionIndex;

        /// <summary>The tick the enumeration started; message times are relative to it.</summary>
        private readonly long _start;

        /// <summary>The consumer's token.</summary>
        private readonly CancellationToken _cancellationToken;

        /// <summary>Index of the next message.</summary>
        private int _index;

        /// <summary>The pending <c>MoveNextAsync</c>, if any.</summary>
        private TaskCompletionSource<bool>? _pending;

        /// <summary>The timer that completes the pending call.</summary>
        private IDisposable? _timer;

        /// <summary>Cancels the pending call when the token is cancelled.</summary>
        private CancellationTokenRegistration _registration;

        /// <summary>Whether <see cref="DisposeAsync"/> was called.</summary>
        private bool _disposed;

        public Enumerator(TestAsyncEnumerable<T> parent, int subscriptionIndex, long start, CancellationToken cancellationToken)
        {
            _parent = parent;
            _subscriptionIndex = subscriptionIndex;
            _start = start;
            _cancellationToken = cancellationToken;
        }

        public T Current { get; private set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pending is not null)
            {
                throw new InvalidOperationException("MoveNextAsync was called while a previous call was pending.");
            }

            _parent._requests.Add(_parent._scheduler.Clock);
            if (_cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(_cancellationToken);
            }

            if (_index >= _parent.Messages.Count)
            {
                // Past the last message: a source without a terminal message never ends.
                return Wait(long.MaxValue);
            }

            long due = _start + _parent.Messages[_index].Time;
            if (due <= _parent._scheduler.Clock)
            {
                return new ValueTask<bool>(Produce());
            }

            return Wait(due);
        }

        public ValueTask DisposeAsync()
        {
            if (!_disposed)
            {
                _disposed = true;
                _timer?.Dispose();
                _registration.Dispose();
                _parent._subscriptions[_subscriptionIndex] = new Subscription(_start, _parent._scheduler.Clock);
                _pending?.TrySetCanceled();
            }

            return default;
        }

        private ValueTask<bool> Wait(long due)
        {
            var pending = new TaskCompletionSource<bool>();
            _pending = pending;
            if (due != long.MaxValue)
            {
                _timer = _parent._scheduler.ScheduleAbsolute(this, due, static (_, self) =>
                {
                    // Whatever context the test framework installed, the waiter (a ConfigureAwait(false) await) resumes
                    // inline, inside this action: only with no context current does a Task continuation run inline.
                    using (SynchronizationContextScope.Clear())
                    {
                        self.CompletePending();
                    }

                    return System.Reactive.Disposables.Disposable.Empty;
                });
            }

            if (_cancellationToken.CanBeCanceled)
            {
                _registration = _cancellationToken.Register(static state => ((Enumerator)state!).CancelPending(), this);
            }

            return new ValueTask<bool>(pending.Task);
        }

        private void CompletePending()
        {
            TaskCompletionSource<bool>? pending = Take();
            if (pending is null)
            {
                return;
            }

            try
            {
                pending.SetResult(Produce());
            }
            catch (Exception ex)
            {
                pending.SetException(ex);
            }
        }

        private void CancelPending() => Take()?.TrySetCanceled(_cancellationToken);

        private TaskCompletionSource<bool>? Take()
        {
            TaskCompletionSource<bool>? pending = _pending;
            _pending = null;
            _timer?.Dispose();
            _timer = null;
            _registration.Dispose();
            _registration = default;
            return pending;
        }

        private bool Produce()
        {
            Notification<T> message = _parent.Messages[_index].Value;
            switch (message.Kind)
            {
                case NotificationKind.OnNext:
                    _index++;
                    Current = message.Value;
                    return true;
                case NotificationKind.OnError:
                    throw message.Exception!;
                default:
                    return false;
            }
        }
    }
}
