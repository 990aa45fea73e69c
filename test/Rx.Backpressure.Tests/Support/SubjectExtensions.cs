using System;
using System.Reactive.Subjects;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests.Support;

/// <summary>Helpers for real-thread tests that push into a <see cref="Subject{T}"/>.</summary>
public static class SubjectExtensions
{
    /// <summary>Waits until a consumer running on another thread has subscribed (its first MoveNextAsync ran); fails after 30 s.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="subject">The subject the consumer subscribes to.</param>
    /// <returns>A task that completes once the subject has an observer.</returns>
    public static async Task WaitForSubscription<T>(this Subject<T> subject)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!subject.HasObservers)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the consumer subscribed");
            await Task.Yield();
        }
    }
}
