namespace Rx.Backpressure.Demo;

/// <summary>One line of the demo's report.</summary>
/// <param name="Name">The operator.</param>
/// <param name="Produced">Items the producer pushed.</param>
/// <param name="Delivered">Items the consumer received.</param>
/// <param name="Dropped">Items the operator dropped.</param>
/// <param name="Peak">The most items held at once between producer and consumer.</param>
/// <param name="Time">Wall-clock time of the run.</param>
/// <param name="Samples">Items held, sampled over the run: (milliseconds since start, items).</param>
internal sealed record Row(string Name, long Produced, long Delivered, long Dropped, long Peak, System.TimeSpan Time, IReadOnlyList<(double Milliseconds, long Held)> Samples);
