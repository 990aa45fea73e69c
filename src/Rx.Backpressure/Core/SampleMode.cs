namespace Rx.Backpressure.Core;

/// <summary>Whether and how a full buffer keeps a pending sample (SampleWhenFull).</summary>
internal enum SampleMode
{
    /// <summary>No sampling: the overflow policy applies.</summary>
    None,

    /// <summary>Latest wins: the pending sample enters the buffer as soon as a slot frees.</summary>
    Latest,

    /// <summary>One sample per period: a window opens at the first arrival that finds the buffer full.</summary>
    Periodic,
}
