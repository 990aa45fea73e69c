using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Rx.Backpressure.Core;

/// <summary>
/// Where one buffer reports what happened to each item: the caller's <see cref="BackpressureCounters"/>, if any,
/// and the <c>Rx.Backpressure</c> metrics, if anyone listens. Called under the buffer's lock; no user code runs.
/// </summary>
internal sealed class Accounting
{
    /// <summary>The caller's counters, or null.</summary>
    private readonly BackpressureCounters? _counters;

    /// <summary>The operator's name, for the operator tag.</summary>
    private readonly string _operator;

    /// <summary>The caller's pipeline name, or null.</summary>
    private readonly string? _pipeline;

    /// <summary>Initializes a new instance of the <see cref="Accounting"/> class.</summary>
    /// <param name="counters">The caller's counters, or null.</param>
    /// <param name="operatorName">The operator's name.</param>
    /// <param name="pipeline">The caller's pipeline name, or null.</param>
    public Accounting(BackpressureCounters? counters, string operatorName, string? pipeline)
    {
        _counters = counters;
        _operator = operatorName;
        _pipeline = pipeline;
    }

    /// <summary>An item was accepted and is now held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReceivedAndBuffered()
    {
        _counters?.ReceivedAndBuffered();
        Held(1);
    }

    /// <summary>Items were accepted and are now held (a run written at once).</summary>
    /// <param name="count">How many.</param>
    public void ReceivedAndBuffered(int count)
    {
        _counters?.ReceivedAndBuffered(count);
        Held(count);
    }

    /// <summary>
    /// The metrics' part of <see cref="ReceivedAndBuffered()"/>, for an arrival appended to the producer's lane, whose
    /// counters counted it while the producer owned the lane. A listener's code may run, so never while it is owned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AnnounceBuffered() => Held(1);

    /// <summary>An item was accepted and handed straight to a waiting consumer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReceivedAndDelivered()
    {
        _counters?.ReceivedAndDelivered();
        Delivered();
    }

    /// <summary>An item was accepted and, at once, it or a held item was dropped (the held count is unchanged).</summary>
    /// <param name="reason">Why.</param>
    public void ReceivedAndDropped(DropReason reason)
    {
        _counters?.ReceivedAndDropped(reason);
        Dropped(1, reason);
    }

    /// <summary>A held item was delivered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BufferedDelivered()
    {
        _counters?.BufferedDelivered();
        Held(-1);
        Delivered();
    }

    /// <summary>Held items were delivered at once (a batch).</summary>
    /// <param name="count">How many.</param>
    public void BufferedDelivered(int count)
    {
        if (count == 0)
        {
            return;
        }

        _counters?.BufferedDelivered(count);
        Held(-count);
        Delivered(count);
    }

    /// <summary>
    /// The consumer is about to try a take from its span without the gate. The item stops counting as held before the
    /// take can be seen, so an arrival that fills the freed slot never makes the counters show more than the capacity.
    /// Follow with <see cref="EndUngatedTake"/>.
    /// </summary>
    public void BeginUngatedTake()
    {
        _counters?.Releasing();
        Held(-1);
    }

    /// <summary>After <see cref="BeginUngatedTake"/>: the item was delivered, or (nothing was taken) it counts as held again.</summary>
    /// <param name="taken">Whether the take succeeded.</param>
    public void EndUngatedTake(bool taken)
    {
        _counters?.Released(taken);
        if (taken)
        {
            Delivered();
        }
        else
        {
            Held(1);
        }
    }

    /// <summary>Held items were dropped.</summary>
    /// <param name="count">How many.</param>
    /// <param name="reason">Why.</param>
    public void BufferedDropped(int count, DropReason reason)
    {
        if (count == 0)
        {
            return;
        }

        _counters?.BufferedDropped(count, reason);
        Held(-count);
        Dropped(count, reason);
    }

    /// <summary>Pressure turned on or off.</summary>
    /// <param name="on">The new state.</param>
    public void Pressure(bool on)
    {
        if (on)
        {
            _counters?.PressureOn();
        }

        if (BackpressureTelemetry.Pressure.Enabled)
        {
            BackpressureTelemetry.Pressure.Add(on ? 1 : -1, Tags());
        }
    }

    private static string ReasonName(DropReason reason) => reason switch
    {
        DropReason.Overflow => "overflow",
        DropReason.Evicted => "evicted",
        DropReason.Replaced => "replaced",
        _ => "stopped",
    };

    private void Held(int delta)
    {
        if (BackpressureTelemetry.Buffered.Enabled)
        {
            BackpressureTelemetry.Buffered.Add(delta, Tags());
        }
    }

    private void Delivered(int count = 1)
    {
        if (BackpressureTelemetry.Delivered.Enabled)
        {
            BackpressureTelemetry.Delivered.Add(count, Tags());
        }
    }

    private void Dropped(int count, DropReason reason)
    {
        if (BackpressureTelemetry.Dropped.Enabled)
        {
            TagList tags = Tags();
            tags.Add(BackpressureMetrics.DropReasonTag, ReasonName(reason));
            BackpressureTelemetry.Dropped.Add(count, tags);
        }
    }

    private TagList Tags()
    {
        var tags = new TagList { { BackpressureMetrics.OperatorTag, _operator } };
        if (_pipeline is not null)
        {
            tags.Add(BackpressureMetrics.PipelineTag, _pipeline);
        }

        return tags;
    }
}
