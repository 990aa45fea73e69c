using System.Diagnostics.Metrics;

namespace Rx.Backpressure.Core;

/// <summary>
/// The <c>Rx.Backpressure</c> meter and its instruments; their names and tags are in <see cref="BackpressureMetrics"/>.
/// Instruments cost a field read per event when nobody listens.
/// </summary>
internal static class BackpressureTelemetry
{
    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(BackpressureMetrics.MeterName, typeof(BackpressureTelemetry).Assembly.GetName().Version?.ToString());

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
