namespace Rx.Backpressure.Benchmarks;

/// <summary>Peak memory of one overload run.</summary>
public readonly record struct OverloadResult(string Scenario, int Items, long PeakHeapBytes, long PeakRssBytes, double DeliveredFraction, double Seconds);
