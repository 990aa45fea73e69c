using System;
using System.Collections.Generic;
using System.Reactive;
using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// The pull half of virtual-time testing: Rx's <see cref="TestScheduler"/> drives push sources; these helpers
/// drive a pull consumer (<see cref="IAsyncEnumerable{T}"/>) and provide a pull source that records when it was
/// asked for items.
/// </summary>
/// <remarks>
/// The helpers run the scheduler with no <see cref="System.Threading.SynchronizationContext"/> current, so async
/// code under test continues inline inside the scheduler's actions, whatever context the test framework
/// installs. Code that awaits with a captured context, <c>Task.Delay</c>, <c>Task.Run</c> or <c>Task.Yield</c>
/// leaves virtual time.
/// </remarks>
public static class TestSchedulerPullExtensions
{
    /// <summary>
    /// Runs a pull consumer against a sequence in virtual time, like <see cref="TestScheduler.Start{T}(Func{IObservable{T}}, long, long, long)"/>:
    /// creates the sequence at <paramref name="created"/>, starts pulling at <paramref name="subscribed"/>, records
    /// each item at the tick it arrives and spends <paramref name="processingTicks"/> on it before pulling again;
    /// records completion or the exception; cancels and disposes the enumerator at <paramref name="disposed"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="scheduler">The virtual clock; it is run until it has no more work.</param>
    /// <param name="create">Creates the sequence under test.</param>
    /// <param name="processingTicks">The virtual time the consumer spends on each item, zero or more.</param>
    /// <param name="created">The tick at which <paramref name="create"/> is called.</param>
    /// <param name="subscribed">The tick of the first <c>MoveNextAsync</c>.</param>
    /// <param name="disposed">The tick at which the consumer cancels and disposes the enumerator if still running.</param>
    /// <param name="pulls">If given, receives the tick of every <c>MoveNextAsync</c> the consumer makes (a diagram's pull lane).</param>
    /// <returns>The recorded items and end, for assertions with <see cref="ReactiveTest"/>'s <c>OnNext</c>/<c>OnCompleted</c>/<c>OnError</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="processingTicks"/> is negative, or the ticks are out of order.</exception>
    public static ITestableObserver<T> StartPull<T>(
        this TestScheduler scheduler,
        Func<IAsyncEnumerable<T>> create,
        long processingTicks,
        long created = ReactiveTest.Created,
        long subscribed = ReactiveTest.Subscribed,
        long disposed = ReactiveTest.Disposed,
        ICollection<long>? pulls = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(processingTicks);
        return StartPull(scheduler, create, _ => processingTicks, created, subscribed, disposed, pulls);
    }

    /// <summary>
    /// Runs a pull consumer against a sequence in virtual time, with a processing cost per item; otherwise as
    /// <see cref="StartPull{T}(TestScheduler, Func{IAsyncEnumerable{T}}, long, long, long, long, ICollection{long})"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="scheduler">The virtual clock; it is run until it has no more work.</param>
    /// <param name="create">Creates the sequence under test.</param>
    /// <param name="processingTicks">The virtual time the consumer spends on an item; zero or less means none.</param>
    /// <param name="created">The tick at which <paramref name="create"/> is called.</param>
    /// <param name="subscribed">The tick of the first <c>MoveNextAsync</c>.</param>
    /// <param name="disposed">The tick at which the consumer cancels and disposes the enumerator if still running.</param>
    /// <param name="pulls">If given, receives the tick of every <c>MoveNextAsync</c> the consumer makes (a diagram's pull lane).</param>
    /// <returns>The recorded items and end.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/>, <paramref name="create"/> or <paramref name="processingTicks"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The ticks are out of order.</exception>
    public static ITestableObserver<T> StartPull<T>(
        this TestScheduler scheduler,
        Func<IAsyncEnumerable<T>> create,
        Func<T, long> processingTicks,
        long created = ReactiveTest.Created,
        long subscribed = ReactiveTest.Subscribed,
        long disposed = ReactiveTest.Disposed,
        ICollection<long>? pulls = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(processingTicks);
        ArgumentOutOfRangeException.ThrowIfLessThan(subscribed, created);
        ArgumentOutOfRangeException.ThrowIfLessThan(disposed, subscribed);

        ITestableObserver<T> observer = SchedulePull(scheduler, create, processingTicks, created, subscribed, disposed, pulls, out VirtualConsumer<T> consumer);
        scheduler.StartWithoutSynchronizationContext();

        if (consumer.Run is { IsFaulted: true } run)
        {
            run.GetAwaiter().GetResult();
        }

        consumer.RecordUnfinished(
            $"The consumer had not finished when the scheduler ran out of work (tick {scheduler.Clock}): a continuation escaped virtual time " +
            "or waits on something the TestScheduler does not drive (the thread pool, Task.Delay, an operator without the scheduler).");
        return observer;
    }

    /// <summary>
    /// Schedules a pull consumer without running the scheduler, so several consumers (or a consumer and other
    /// scheduled work) can share one virtual-time run; otherwise as
    /// <see cref="StartPull{T}(TestScheduler, Func{IAsyncEnumerable{T}}, long, long, long, long, ICollection{long})"/>.
    /// Drive the scheduler any way (<c>Start</c>, <c>AdvanceTo</c>, <c>AdvanceBy</c>), under any
    /// <see cref="System.Threading.SynchronizationContext"/>: the consumer's own actions clear the context while
    /// they run, and a continuation that escapes virtual time is recorded as an <c>OnError</c> saying so.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="create">Creates the sequence under test.</param>
    /// <param name="processingTicks">The virtual time the consumer spends on each item, zero or more.</param>
    /// <param name="created">The tick at which <paramref name="create"/> is called.</param>
    /// <param name="subscribed">The tick of the first <c>MoveNextAsync</c>.</param>
    /// <param name="disposed">The tick at which the consumer cancels and disposes the enumerator if still running.</param>
    /// <param name="pulls">If given, receives the tick of every <c>MoveNextAsync</c> the consumer makes.</param>
    /// <returns>The observer that will record the items and the end.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="processingTicks"/> is negative, or the ticks are out of order.</exception>
    public static ITestableObserver<T> SchedulePull<T>(
        this TestScheduler scheduler,
        Func<IAsyncEnumerable<T>> create,
        long processingTicks,
        long created = ReactiveTest.Created,
        long subscribed = ReactiveTest.Subscribed,
        long disposed = ReactiveTest.Disposed,
        ICollection<long>? pulls = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(processingTicks);
        return SchedulePull(scheduler, create, _ => processingTicks, created, subscribed, disposed, pulls);
    }

    /// <summary>
    /// Schedules a pull consumer with a processing cost per item, without running the scheduler; otherwise as
    /// <see cref="SchedulePull{T}(TestScheduler, Func{IAsyncEnumerable{T}}, long, long, long, long, ICollection{long})"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="create">Creates the sequence under test.</param>
    /// <param name="processingTicks">The virtual time the consumer spends on an item; zero or less means none.</param>
    /// <param name="created">The tick at which <paramref name="create"/> is called.</param>
    /// <param name="subscribed">The tick of the first <c>MoveNextAsync</c>.</param>
    /// <param name="disposed">The tick at which the consumer cancels and disposes the enumerator if still running.</param>
    /// <param name="pulls">If given, receives the tick of every <c>MoveNextAsync</c> the consumer makes.</param>
    /// <returns>The observer that will record the items and the end.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/>, <paramref name="create"/> or <paramref name="processingTicks"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The ticks are out of order.</exception>
    public static ITestableObserver<T> SchedulePull<T>(
        this TestScheduler scheduler,
        Func<IAsyncEnumerable<T>> create,
        Func<T, long> processingTicks,
        long created = ReactiveTest.Created,
        long subscribed = ReactiveTest.Subscribed,
        long disposed = ReactiveTest.Disposed,
        ICollection<long>? pulls = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(processingTicks);
        ArgumentOutOfRangeException.ThrowIfLessThan(subscribed, created);
        ArgumentOutOfRangeException.ThrowIfLessThan(disposed, subscribed);
        return SchedulePull(scheduler, create, processingTicks, created, subscribed, disposed, pulls, out _);
    }

    /// <summary>
    /// Schedules a pull consumer of an existing <paramref name="sequence"/> without running the scheduler; otherwise as
    /// <see cref="SchedulePull{T}(TestScheduler, Func{IAsyncEnumerable{T}}, Func{T, long}, long, long, long, ICollection{long})"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="sequence">The sequence to enumerate.</param>
    /// <param name="processingTicks">The virtual time the consumer spends on an item; zero or less means none.</param>
    /// <param name="subscribed">The tick of the first <c>MoveNextAsync</c>.</param>
    /// <param name="disposed">The tick at which the consumer cancels and disposes the enumerator if still running.</param>
    /// <returns>The observer that will record the items and the end.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="disposed"/> is before <paramref name="subscribed"/>.</exception>
    public static ITestableObserver<T> SchedulePull<T>(
        this TestScheduler scheduler,
        IAsyncEnumerable<T> sequence,
        Func<T, long> processingTicks,
        long subscribed = ReactiveTest.Subscribed,
        long disposed = ReactiveTest.Disposed)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(processingTicks);
        ArgumentOutOfRangeException.ThrowIfLessThan(disposed, subscribed);
        return SchedulePull(scheduler, () => sequence, processingTicks, subscribed, subscribed, disposed, null, out _);
    }

    /// <summary>
    /// Creates a cold pull source that replays <paramref name="messages"/> (times relative to each enumeration's
    /// start) and records when it was asked for each item.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="messages">The notifications, in time order: <c>OnNext</c>, then optionally one <c>OnCompleted</c> or <c>OnError</c>.</param>
    /// <returns>The source.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> or <paramref name="messages"/> is null.</exception>
    public static TestAsyncEnumerable<T> CreateColdAsyncEnumerable<T>(this TestScheduler scheduler, params Recorded<Notification<T>>[] messages)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(messages);
        return new TestAsyncEnumerable<T>(scheduler, messages);
    }

    /// <summary>
    /// Runs the scheduler until it has no more work, with no <see cref="System.Threading.SynchronizationContext"/>
    /// current, so async continuations stay inline inside virtual time.
    /// </summary>
    /// <param name="scheduler">The virtual clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is null.</exception>
    public static void StartWithoutSynchronizationContext(this TestScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        using (SynchronizationContextScope.Clear())
        {
            scheduler.Start();
        }
    }

    /// <summary>
    /// Advances the scheduler to <paramref name="time"/>, with no <see cref="System.Threading.SynchronizationContext"/>
    /// current, so async continuations stay inline inside virtual time.
    /// </summary>
    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="time">The absolute tick to advance to.</param>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is null.</exception>
    public static void AdvanceToWithoutSynchronizationContext(this TestScheduler scheduler, long time)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        using (SynchronizationContextScope.Clear())
        {
            scheduler.AdvanceTo(time);
        }
    }

    private static ITestableObserver<T> SchedulePull<T>(
        TestScheduler scheduler,
        Func<IAsyncEnumerable<T>> create,
        Func<T, long> processingTicks,
        long created,
        long subscribed,
        long disposed,
        ICollection<long>? pulls,
        out VirtualConsumer<T> consumer)
    {
        IAsyncEnumerable<T>? sequence = null;
        scheduler.ScheduleAbsolute(created, () =>
        {
            using (SynchronizationContextScope.Clear())
            {
                sequence = create();
            }
        });

        ITestableObserver<T> observer = scheduler.CreateObserver<T>();
        consumer = new VirtualConsumer<T>(scheduler, observer, processingTicks, pulls);
        consumer.Schedule(() => sequence!, subscribed, disposed);
        return observer;
    }
}
