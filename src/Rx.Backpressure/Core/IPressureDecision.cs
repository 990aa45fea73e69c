namespace Rx.Backpressure.Core;

/// <summary>
/// Implemented by pressure observers of this library (<see cref="PressureGate"/>) that want to know a transition
/// the moment the buffer decides it, under the buffer's lock, before it is published in order by
/// <see cref="System.IObserver{T}.OnNext"/>. The call must be cheap and must not run user code or continuations.
/// </summary>
internal interface IPressureDecision
{
    /// <summary>The buffer has just decided a transition.</summary>
    /// <param name="on">True when pressure turned on, false when it turned off.</param>
    void PressureDecided(bool on);

    /// <summary>
    /// The consumer stopped while pressure was on. Nothing more will be published (DESIGN §4), so a gate must let
    /// its waiting producer go rather than leave it waiting forever. Called after the buffer's lock is released.
    /// </summary>
    void ConsumerStopped();
}
