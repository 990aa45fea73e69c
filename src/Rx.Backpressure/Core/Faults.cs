using System;
using System.Collections.Generic;

namespace Rx.Backpressure.Core;

/// <summary>
/// Runs infrastructure and user code that may throw (disposing a subscription or a timer, a callback) and keeps
/// its exception, so a fault never escapes into the producer and never stops the clean-up that follows it.
/// </summary>
internal static class Faults
{
    /// <summary>
    /// The <see cref="Exception.Data"/> key under which a fault that met an earlier error is kept, when that error
    /// cannot carry it as its <see cref="Exception.InnerException"/> (a source error is thrown as the same instance).
    /// </summary>
    public const string SuppressedKey = "Rx.Backpressure.Suppressed";

    /// <summary>Disposes <paramref name="disposable"/>, if any, and returns what it threw.</summary>
    /// <param name="disposable">The subscription, timer or cancellation to dispose, or null.</param>
    /// <returns>The exception, or null.</returns>
    public static Exception? TryDispose(IDisposable? disposable)
    {
        try
        {
            disposable?.Dispose();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Calls <paramref name="callback"/> and returns what it threw.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="callback">The callback.</param>
    /// <param name="item">Its argument.</param>
    /// <returns>The exception, or null.</returns>
    public static Exception? TryInvoke<T>(Action<T> callback, T item)
    {
        try
        {
            callback(item);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Combines two faults so neither is lost: one of them, or an <see cref="AggregateException"/> of both.</summary>
    /// <param name="first">The earlier fault, or null.</param>
    /// <param name="second">The later fault, or null.</param>
    /// <returns>The combination, or null when both are null.</returns>
    public static Exception? Combine(Exception? first, Exception? second)
    {
        if (first is null || second is null)
        {
            return first ?? second;
        }

        var all = new List<Exception>();
        Add(all, first);
        Add(all, second);
        return new AggregateException(all);

        static void Add(List<Exception> all, Exception ex)
        {
            if (ex is AggregateException aggregate)
            {
                all.AddRange(aggregate.InnerExceptions);
            }
            else
            {
                all.Add(ex);
            }
        }
    }

    /// <summary>
    /// The error a sequence ends with when a fault (disposing the upstream, for example) met its end: the end's own
    /// error, keeping the fault with it (<see cref="Suppress"/>); or, after a normal end, the fault itself.
    /// </summary>
    /// <param name="error">The end's error, or null for a normal completion.</param>
    /// <param name="fault">The fault, or null.</param>
    /// <returns>The error to end with, or null for a normal completion.</returns>
    public static Exception? EndError(Exception? error, Exception? fault)
    {
        if (error is null)
        {
            return fault;
        }

        if (fault is not null)
        {
            Suppress(error, fault);
        }

        return error;
    }

    /// <summary>
    /// Keeps <paramref name="fault"/> with <paramref name="error"/>, the error the consumer will see, under
    /// <see cref="SuppressedKey"/> in its <see cref="Exception.Data"/> (like Java's suppressed exceptions).
    /// </summary>
    /// <param name="error">The error the sequence ends with.</param>
    /// <param name="fault">The later fault.</param>
    public static void Suppress(Exception error, Exception fault)
    {
        try
        {
            error.Data[SuppressedKey] = Combine(error.Data[SuppressedKey] as Exception, fault);
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
        {
            // A read-only or unusual Data dictionary: the error itself still reaches the consumer.
        }
    }
}
