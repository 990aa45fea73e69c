namespace Rx.Backpressure.Demo;

/// <summary>One line of the demo's report.</summary>
/// <param name="Name">The operator.</param>
/// <param name="Produced">Items the producer pushed.</param>
/// <param name="Delivered">Items the consumer received.</param>
/// <param name="Dropped">Items the operator dropped.</param>
/// <param name="Peak">The most items held at once between producer and consumer.</param>
/// <param name="Time">Wall-clock time of the run.</param>
/// <param name="Samples">Items held, sampled over the run: (milliseconds since start, items).</param>
/// <param name="Ages">Each delivered item's age when the consumer got it: (milliseconds since start, age in milliseconds).</param>
internal sealed record Row(string Name, long Produced, long Delivered, long Dropped, long Peak, System.TimeSpan Time, IReadOnlyList<(double Milliseconds, long Held)> Samples, IReadOnlyList<(double Milliseconds, double AgeMilliseconds)> Ages)
{
    /// <summary>Gets the median age of the delivered items, in milliseconds.</summary>
    public double MedianAge => Percentile(0.5);

    /// <summary>Gets the oldest age at delivery, in milliseconds.</summary>
    public double MaxAge => Ages.Count == 0 ? 0 : Ages.Max(a => a.AgeMilliseconds);

    private double Percentile(double p)
    {
        if (Ages.Count == 0)
        {
            return 0;
        }

        double[] sorted = [.. Ages.Select(a => a.AgeMilliseconds).Order()];
        return sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
    }
}
