using System;
using System.Collections.Generic;
using System.Linq;

namespace Rx.Backpressure.Tests.Reliability;

/// <summary>
/// An obviously-correct, single-threaded, list-based simulation of the operators' semantics (docs/semantics.md), driven by a
/// discrete-event queue with the same ordering rules as Rx's TestScheduler (by tick, then by scheduling order;
/// anything scheduled at or before "now" runs at now + 1). It shares no code with the library.
/// </summary>
public sealed class OperatorModel
{
    private const long Subscribed = 200;

    private readonly Scenario _s;
    private readonly PriorityQueue<Action, (long Tick, long Seq)> _queue = new();
    private readonly List<int> _buffer = [];
    private long _now;
    private long _seq;

    private bool _hasPending;
    private int _pending;
    private bool _pendingAdmitted;   // capacity 0: admitted by a closed window, deliverable while the next is open
    private bool _windowOpen;
    private int _windowId;

    private bool _terminal;
    private string? _end;
    private bool _consumerDone;
    private bool _waiting;
    private bool _pressureOn;

    private bool _subscribed;
    private bool _unsubscribed;

    // pull shape: the pump
    private int _next;
    private bool _pumpWaitingForRoom;
    private bool _pumpAsking;
    private int _askId;

    public OperatorModel(Scenario scenario)
    {
        _s = scenario;
    }

    public List<string> Messages { get; } = [];

    public List<string> Drops { get; } = [];

    public List<string> Pressure { get; } = [];

    public List<string> Subscriptions { get; } = [];

    public List<long> Requests { get; } = [];

    public OperatorModel Run()
    {
        // A hot source's events are scheduled first (the source is created before the consumer), then
        // StartPull's subscribe and dispose actions.
        if (!_s.Pull)
        {
            for (int i = 0; i < _s.ItemTicks.Length; i++)
            {
                int value = i + 1;
                At(_s.ItemTicks[i], () => Arrival(value));
            }

            if (_s.Terminal != TerminalKind.None)
            {
                At(_s.TerminalTick, () =>
                {
                    if (_subscribed && !_unsubscribed)
                    {
                        End(TerminalName());
                    }
                });
            }
        }

        At(Subscribed, Start);
        At(_s.Disposed, Dispose);

        while (_queue.TryDequeue(out Action? action, out var key))
        {
            _now = key.Tick;
            action();
        }

        if (_subscribed && !_unsubscribed)
        {
            Subscriptions.Add($"({Subscribed}, ∞)");
        }

        return this;
    }

    private string TerminalName() => _s.Terminal == TerminalKind.Error ? "E(source)" : "C";

    private void At(long tick, Action action)
    {
        if (tick <= _now)
        {
            tick = _now + 1;
        }

        _queue.Enqueue(action, (tick, _seq++));
    }

    private void Start()
    {
        _waiting = true;
        _subscribed = true;
        if (_s.Pull)
        {
            Pump();
        }
    }

    private void Unsubscribe()
    {
        if (_subscribed && !_unsubscribed)
        {
            _unsubscribed = true;
            Subscriptions.Add($"({Subscribed}, {_now})");
        }
    }

    private void Arrival(int value)
    {
        if (!_subscribed || _unsubscribed)
        {
            return;
        }

        if (_windowOpen)
        {
            ReplacePending(value);
        }
        else if (_waiting)
        {
            _waiting = false;
            Deliver(value);
        }
        else if (_s.Kind == OperatorKind.LatestByKey && _buffer.FindIndex(v => v % _s.Keys == value % _s.Keys) is int held and >= 0)
        {
            // The key is held: its value is replaced in place and the key keeps its position.
            Drop(_buffer[held]);
            _buffer[held] = value;
        }
        else if (_buffer.Count < _s.Capacity)
        {
            _buffer.Add(value);
            if (_s.Kind == OperatorKind.ThrottleOnPressure && !_pressureOn && _buffer.Count >= _s.High)
            {
                _pressureOn = true;
                Pressure.Add($"{_now}:on");
            }
        }
        else if (_s.Kind is OperatorKind.SampleLatest or OperatorKind.SamplePeriodic)
        {
            ReplacePending(value);
            if (_s.Kind == OperatorKind.SamplePeriodic)
            {
                OpenWindow();
            }
        }
        else
        {
            switch (_s.Kind == OperatorKind.DropWhenFull ? BufferOverflow.DropIncoming : _s.Overflow)
            {
                case BufferOverflow.DropOldest:
                    Drop(_buffer[0]);
                    _buffer.RemoveAt(0);
                    _buffer.Add(value);
                    break;
                case BufferOverflow.DropNewest:
                    Drop(_buffer[^1]);
                    _buffer[^1] = value;
                    break;
                case BufferOverflow.Error:
                    _terminal = true;
                    _end = "E(overflow)";
                    Unsubscribe();
                    Drop(value);
                    break;
                default:
                    Drop(value);
                    break;
            }
        }
    }

    private void ReplacePending(int value)
    {
        if (_hasPending)
        {
            Drop(_pending);
        }

        _pending = value;
        _hasPending = true;
        _pendingAdmitted = false;
    }

    private void OpenWindow()
    {
        _windowOpen = true;
        int id = ++_windowId;
        At(_now + _s.Period, () => CloseWindow(id));
    }

    /// <summary>A window closes: a pending sample is admitted and the next window opens at once; an empty one ends the surge.</summary>
    private void CloseWindow(int id)
    {
        if (!_windowOpen || id != _windowId)
        {
            return;
        }

        if (!_hasPending || _pendingAdmitted)
        {
            _windowOpen = false;
            _pendingAdmitted = false;
            return;
        }

        int? evicted = null;
        int? delivered = null;
        if (_waiting)
        {
            _waiting = false;
            _hasPending = false;
            delivered = _pending;
        }
        else if (_s.Capacity == 0)
        {
            _pendingAdmitted = true;
        }
        else
        {
            if (_buffer.Count == _s.Capacity)
            {
                evicted = _buffer[0];
                _buffer.RemoveAt(0);
            }

            _buffer.Add(_pending);
            _hasPending = false;
        }

        OpenWindow();
        if (delivered is int d)
        {
            Deliver(d);
        }

        if (evicted is int e)
        {
            Drop(e);
        }
    }

    private void End(string end)
    {
        if (_terminal)
        {
            return;
        }

        _terminal = true;
        _end = end;
        Unsubscribe();
        _windowOpen = false;
        _pendingAdmitted = false;
        if (_waiting)
        {
            _waiting = false;
            if (_hasPending)
            {
                _hasPending = false;
                Deliver(_pending);
            }
            else
            {
                Finish();
            }
        }
    }

    private void Finish()
    {
        Messages.Add($"{_now}:{_end}");
        _consumerDone = true;
    }

    private void Deliver(int value)
    {
        Messages.Add($"{_now}:{value}");
        long cost = _s.Costs[value - 1];
        if (cost > 0)
        {
            At(_now + cost, () =>
            {
                if (!_consumerDone)
                {
                    Pull();
                }
            });
        }
        else
        {
            Pull();
        }
    }

    private void Pull()
    {
        if (_buffer.Count > 0)
        {
            int value = _buffer[0];
            _buffer.RemoveAt(0);
            if (_hasPending && !_windowOpen)
            {
                _buffer.Add(_pending);
                _hasPending = false;
            }

            if (_pressureOn && _buffer.Count <= _s.Low)
            {
                _pressureOn = false;
                Pressure.Add($"{_now}:off");
            }

            ResumePump();
            Deliver(value);
        }
        else if (_hasPending && (!_windowOpen || _pendingAdmitted))
        {
            _hasPending = false;
            _pendingAdmitted = false;
            Deliver(_pending);
        }
        else if (_terminal)
        {
            Finish();
        }
        else
        {
            _waiting = true;
        }
    }

    private void Dispose()
    {
        if (_consumerDone)
        {
            return;
        }

        _consumerDone = true;
        _terminal = true;
        _waiting = false;
        _windowOpen = false;
        _pumpAsking = false;
        _pumpWaitingForRoom = false;
        Unsubscribe();
        foreach (int value in _buffer)
        {
            Drop(value);
        }

        _buffer.Clear();
        if (_hasPending)
        {
            _hasPending = false;
            Drop(_pending);
        }
    }

    private void Drop(int value) => Drops.Add($"{_now}:{value}");

    private bool CanWrite => !_pressureOn && _buffer.Count < _s.Capacity;

    private void ResumePump()
    {
        if (_pumpWaitingForRoom && CanWrite)
        {
            _pumpWaitingForRoom = false;
            Pump();
        }
    }

    /// <summary>The pump: ask the cold source for the next message until it must wait (for room, or for the source).</summary>
    private void Pump()
    {
        while (true)
        {
            if (_terminal)
            {
                Unsubscribe();
                return;
            }

            if (_s.PausesSource && !CanWrite)
            {
                _pumpWaitingForRoom = true;
                return;
            }

            Requests.Add(_now);
            long? due = NextDue();
            if (due is null)
            {
                _pumpAsking = true;   // past the last message, no end: waits forever
                return;
            }

            if (due > _now)
            {
                _pumpAsking = true;
                int id = ++_askId;
                At(due.Value, () =>
                {
                    if (_pumpAsking && id == _askId)
                    {
                        _pumpAsking = false;
                        if (Receive())
                        {
                            Pump();
                        }
                    }
                });
                return;
            }

            if (!Receive())
            {
                return;
            }
        }
    }

    private long? NextDue() =>
        _next < _s.ItemTicks.Length ? _s.ItemTicks[_next]
        : _s.Terminal != TerminalKind.None ? _s.TerminalTick
        : null;

    /// <summary>Takes the due message; false when it was the end.</summary>
    private bool Receive()
    {
        if (_next < _s.ItemTicks.Length)
        {
            _next++;
            Arrival(_next);
            return true;
        }

        Unsubscribe();
        End(TerminalName());
        return false;
    }

    public override string ToString() =>
        $"messages [{string.Join(" ", Messages)}]; drops [{string.Join(" ", Drops)}]; pressure [{string.Join(" ", Pressure)}]; subscriptions [{string.Join(" ", Subscriptions)}]";
}
