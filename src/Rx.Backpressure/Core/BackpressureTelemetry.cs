using System.Diagnostics.Metrics;

namespace Rx.Backpressure.Core;

/// <summary>
/// The <c>Rx.Backpressure</c> meter and its instruments (OpenTelemetry naming). Instruments cost a field read per
/// event when nobody listens.
/// </summary>
internal static class BackpressureTelemetry
{
    /// <summary>The meter's name, to pass to <c>AddMeter</c> or a <see cref="MeterListener"/>.</summary>
    public const string MeterName = "Rx.Backpressure";

    /// <summary>Tag: the operator (BufferBounded, DropWhenFull, SampleWhenFull, ThrottleOnPressure).</summary>
    public const string OperatorTag = "rx_backpressure.operator";

    /// <summary>Tag: the pipeline name the caller gave, if any.</summary>
    public const string PipelineTag = "rx_backpressure.pipeline";

    /// <summary>Tag: why an item was dropped (overflow, evicted, replaced, stopped).</summary>
    public const string ReasonTag = "rx_backpressure.drop.reason";

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(MeterName, typeof(BackpressureTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Items handed to the consumer.</summary>
    public static readonly Counter<long> Delivered = Meter.CreateCounter<long>(
        BackpressureMetrics.ItemsDelivered, "{item}", "Items delivered to the consumer.");

    /// <summary>Items not delivered, tagged with the reason.</summary>
    public static readonly Counter<long> Dropped = Meter.CreateCounter<long>(
        BackpressureMetrics.ItemsDropped, "{item}", "Items dropped instead of delivered, by reason.");

    /// <summary>Items held right now (buffered plus pending samples).</summary>
    public static readonly UpDownCounter<long> Buffered = Meter.CreateUpDownCounter<long>(
        BackpressureMetrics.ItemsBuffered, "{item}", "Items held between producer and consumer right now.");

    /// <summary>Enumerations under pressure right now (ThrottleOnPressure).</summary>
    public static readonly UpDownCounter<long> Pressure = Meter.CreateUpDownCounter<long>(
        BackpressureMetrics.PressureActive, "{enumeration}", "Enumerations whose pressure signal is on right now.");
}
