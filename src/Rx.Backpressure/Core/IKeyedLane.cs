using System;

namespace Rx.Backpressure.Core;

/// <summary>
/// LatestByKey's producer lane, kept by its storage because each arrival carries its key (computed once, by the
/// producer, when it arrives). The buffer drives it exactly like the plain lane: credit granted at the end of a
/// producer's section, taken back by the sections that change what an arrival would do, and the lane moved into
/// storage by every section that looks at the held items. Used only when nothing observes a replacement as it happens
/// (no <c>onDropped</c>, no counters) and the keys compare without user code.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal interface IKeyedLane<T>
{
    /// <summary>Gets a value indicating whether the lane is used (otherwise every arrival takes the locked path).</summary>
    bool UsesLane { get; }

    /// <summary>Gets the arrivals appended plus the credit left, read at once.</summary>
    int LaneCountAndCredit { get; }

    /// <summary>Gets the credit left.</summary>
    int LaneCredit { get; }

    /// <summary>
    /// Appends an arrival without the gate, if there is credit: runs the key selector first (user code, never while
    /// the lane is owned). False when the arrival must take the locked path; then its key, or the selector's
    /// exception, is kept for that path on this thread, so the selector still runs once per arrival.
    /// </summary>
    /// <param name="item">The arrival.</param>
    /// <returns>True when appended.</returns>
    bool TryAppend(T item);

    /// <summary>
    /// Whether the consumer may take the value at <paramref name="position"/> of its span without the gate: no arrival in
    /// the lane can carry its key (one bit per arrival's key hash, so a false "no" only sends the take to the gate).
    /// An arrival appended after this answer is later than the take, which it then cannot replace.
    /// </summary>
    /// <param name="position">The span's next position.</param>
    /// <returns>False when an arrival in the lane may replace that value: the take moves the lane under the gate first.</returns>
    bool MayTake(int position);

    /// <summary>Under the gate, first in the locked path of the arrival that <see cref="TryAppend"/> turned away: the selector's exception for it, if it threw.</summary>
    /// <returns>The exception, or null.</returns>
    Exception? TakePreparedFault();

    /// <summary>Moves the appended arrivals into storage, as if each arrived under the gate now; keeps the credit. Under the gate.</summary>
    /// <returns>How many held values they replaced (dropped, reason Replaced).</returns>
    int MoveLane();

    /// <summary>Like <see cref="MoveLane"/>, and takes the credit back. Under the gate.</summary>
    /// <returns>How many held values they replaced.</returns>
    int CloseLane();

    /// <summary>Grants credit for <paramref name="room"/> arrivals (counting those still in the lane). Under the gate.</summary>
    /// <param name="room">The arrivals that would each only be buffered; 0 or less grants none.</param>
    void GrantLane(int room);
}
