using System;

namespace Rx.Backpressure;

/// <summary>
/// Thrown from <see cref="System.Collections.Generic.IAsyncEnumerator{T}.MoveNextAsync"/> after the buffered
/// items when an item arrived at a full buffer whose overflow policy is <see cref="BufferOverflow.Error"/>.
/// </summary>
public sealed class BufferOverflowException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BufferOverflowException"/> class.</summary>
    public BufferOverflowException()
        : this("The bounded buffer overflowed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BufferOverflowException"/> class.</summary>
    /// <param name="message">The message that describes the error.</param>
    public BufferOverflowException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BufferOverflowException"/> class.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public BufferOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BufferOverflowException"/> class for a buffer of the given capacity.</summary>
    /// <param name="capacity">The capacity of the buffer that overflowed.</param>
    public BufferOverflowException(int capacity)
        : this(capacity, null)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="BufferOverflowException"/> class for a buffer of the given capacity,
    /// with a fault that met the overflow (for example <c>onDropped</c> throwing for the overflowing item).
    /// </summary>
    /// <param name="capacity">The capacity of the buffer that overflowed.</param>
    /// <param name="innerException">The fault that met the overflow, or null.</param>
    public BufferOverflowException(int capacity, Exception? innerException)
        : base(
            $"The bounded buffer (capacity {capacity}) was full when another item arrived. " +
            "Raise the capacity, pick a drop policy (BufferOverflow.DropOldest, DropNewest, DropIncoming), " +
            "or slow the producer with ThrottleOnPressure." +
            (innerException is null ? string.Empty : " Reporting the overflowing item to onDropped also failed: see InnerException."),
            innerException)
    {
        Capacity = capacity;
    }

    /// <summary>Gets the capacity of the buffer that overflowed, or -1 when unknown.</summary>
    public int Capacity { get; } = -1;
}
