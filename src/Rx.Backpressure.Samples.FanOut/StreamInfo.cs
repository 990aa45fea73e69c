namespace Rx.Backpressure.Samples.FanOut;

/// <summary>One stream to one client.</summary>
/// <param name="Id">Transport, connection and client.</param>
/// <param name="Mode">The operator.</param>
/// <param name="Capacity">Its bound.</param>
public sealed record StreamInfo(string Id, string Mode, int Capacity)
{
    /// <summary>Gets what the operator did: received (produced while connected), delivered, dropped.</summary>
    public BackpressureCounters Counters { get; } = new();

    /// <summary>Gets or sets the items written to the transport.</summary>
    public long Sent { get; set; }

    /// <summary>Gets or sets a value indicating whether the stream has ended (completed, failed or the client left).</summary>
    public bool Finished { get; set; }
}
