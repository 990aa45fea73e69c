namespace Rx.Backpressure;

/// <summary>
/// The names of the <c>Rx.Backpressure</c> meter (System.Diagnostics.Metrics), its instruments and tags, for
/// OpenTelemetry (<c>AddMeter(BackpressureMetrics.MeterName)</c>) or a <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// </summary>
/// <remarks>
/// Every operator reports, tagged with <see cref="OperatorTag"/> and, when a <c>name</c> was given, <see cref="PipelineTag"/>:
/// <list type="bullet">
/// <item><description><see cref="ItemsDelivered"/> (counter): items handed to the consumer.</description></item>
/// <item><description><see cref="ItemsDropped"/> (counter, also tagged <see cref="DropReasonTag"/>: <c>overflow</c>, <c>evicted</c>, <c>replaced</c>, <c>stopped</c>).</description></item>
/// <item><description><see cref="ItemsBuffered"/> (up-down counter): items held right now.</description></item>
/// <item><description><see cref="PressureActive"/> (up-down counter): enumerations whose pressure is on right now.</description></item>
/// </list>
/// When nobody listens, reporting costs a field read per event.
/// </remarks>
public static class BackpressureMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Rx.Backpressure";

    /// <summary>The counter of delivered items.</summary>
    public const string ItemsDelivered = "rx_backpressure.items.delivered";

    /// <summary>The counter of dropped items.</summary>
    public const string ItemsDropped = "rx_backpressure.items.dropped";

    /// <summary>The up-down counter of items held right now.</summary>
    public const string ItemsBuffered = "rx_backpressure.items.buffered";

    /// <summary>The up-down counter of enumerations under pressure right now.</summary>
    public const string PressureActive = "rx_backpressure.pressure.active";

    /// <summary>The operator tag.</summary>
    public const string OperatorTag = "rx_backpressure.operator";

    /// <summary>The pipeline-name tag.</summary>
    public const string PipelineTag = "rx_backpressure.pipeline";

    /// <summary>The drop-reason tag.</summary>
    public const string DropReasonTag = "rx_backpressure.drop.reason";
}
