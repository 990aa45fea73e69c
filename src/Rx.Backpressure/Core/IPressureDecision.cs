using System.Threading.Tasks;

namespace Rx.Backpressure.Core;

/// <summary>
/// Implemented by this library's pressure observers (<see cref="PressureGate"/>) that follow an enumeration's pressure
/// by its decisions rather than by publication: the buffer tells them every transition the moment it decides it,
/// under its lock, including the "off" it decides when the enumeration ends while pressure is on. Nothing is lost
/// between a decision and its publication, whatever the interleaving, and one observer can follow several
/// enumerations at once. Such observers receive no <see cref="System.IObserver{T}.OnNext"/> from the buffer.
/// </summary>
internal interface IPressureDecision
{
    /// <summary>
    /// One enumeration has just decided a transition. Called under the buffer's lock: it must be cheap and must not
    /// run user code or continuations; what it returns is completed after the lock is released.
    /// </summary>
    /// <param name="on">True when that enumeration's pressure turned on, false when it turned off (or it ended while on).</param>
    /// <returns>A waiting producer's release to complete after the lock is released, or null.</returns>
    TaskCompletionSource? PressureDecided(bool on);
}
