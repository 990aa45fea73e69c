using System;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Rx.Backpressure.Tests;

public sealed class PressureGateTests
{
    [Test]
    public void PressureGate_IsOpenInitially()
    {
        var gate = new PressureGate();
        Assert.That(gate.IsPressured, Is.False);
        Assert.That(gate.WaitAsync().AsTask().IsCompletedSuccessfully, Is.True);
        gate.Wait();
    }

    [Test]
    public void PressureGate_WaitAsync_CompletesWhenPressureTurnsOff()
    {
        var gate = new PressureGate(synchronousContinuations: true);
        gate.OnNext(true);
        gate.OnNext(true);
        Task wait = gate.WaitAsync().AsTask();

        Assert.That(gate.IsPressured, Is.True);
        Assert.That(wait.IsCompleted, Is.False);
        gate.OnNext(false);
        Assert.That(wait.IsCompletedSuccessfully, Is.True);
        Assert.That(gate.IsPressured, Is.False);
    }

    [Test]
    public void PressureGate_WaitAsync_IsCancellable()
    {
        var gate = new PressureGate(synchronousContinuations: true);
        gate.OnNext(true);
        using var cts = new CancellationTokenSource();
        Task wait = gate.WaitAsync(cts.Token).AsTask();

        cts.Cancel();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PressureGate_Wait_ThrowsWhenCancelled()
    {
        var gate = new PressureGate();
        gate.OnNext(true);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.That(() => gate.Wait(cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PressureGate_CompletionOpensTheGate([Values(false, true)] bool error)
    {
        var gate = new PressureGate(synchronousContinuations: true);
        gate.OnNext(true);
        Task wait = gate.WaitAsync().AsTask();

        if (error)
        {
            gate.OnError(new InvalidOperationException());
        }
        else
        {
            gate.OnCompleted();
        }

        Assert.That(wait.IsCompletedSuccessfully, Is.True);
    }
}
