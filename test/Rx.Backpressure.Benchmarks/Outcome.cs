namespace Rx.Backpressure.Benchmarks;

/// <summary>What a run did: items produced by the source and items the consumer received.</summary>
public readonly record struct Outcome(long Produced, long Delivered)
{
    public double DeliveredFraction => Produced == 0 ? 1 : (double)Delivered / Produced;
}
