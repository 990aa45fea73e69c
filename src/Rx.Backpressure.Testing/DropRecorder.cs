using System;
using System.Collections.Generic;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// Records every item an operator drops, with the virtual tick it was dropped at: pass <see cref="Add"/> as the
/// operator's <c>onDropped</c> and assert <see cref="Items"/> (or draw it with <see cref="Marble.FormatValues{T}"/>).
/// </summary>
/// <example>
/// <code>
/// var drops = new DropRecorder&lt;char&gt;(scheduler);
/// var res = scheduler.StartPull(() => xs.DropWhenFull(2, drops.Add, scheduler), 25);
/// Assert.That(drops.Items, Is.EqualTo(new[] { new Recorded&lt;char&gt;(225, 'd'), new Recorded&lt;char&gt;(230, 'e') }));
/// </code>
/// </example>
/// <typeparam name="T">The item type.</typeparam>
public sealed class DropRecorder<T>
{
    /// <summary>The clock that stamps each drop.</summary>
    private readonly TestScheduler _scheduler;

    /// <summary>What <see cref="Add"/> throws for an item, if anything (to test a throwing <c>onDropped</c>).</summary>
    private readonly Func<T, Exception?>? _fail;

    /// <summary>The drops recorded so far; guarded by itself, since an operator may drop from several threads.</summary>
    private readonly List<Recorded<T>> _items = [];

    /// <summary>Initializes a new instance of the <see cref="DropRecorder{T}"/> class.</summary>
    /// <param name="scheduler">The virtual clock that stamps each drop.</param>
    /// <param name="fail">Optionally, the exception <see cref="Add"/> throws for an item (after recording it); null to never throw.</param>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is null.</exception>
    public DropRecorder(TestScheduler scheduler, Func<T, Exception?>? fail = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        _scheduler = scheduler;
        _fail = fail;
    }

    /// <summary>Gets a copy of the drops recorded so far, in the order they happened, each with its tick.</summary>
    public IReadOnlyList<Recorded<T>> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _items];
            }
        }
    }

    /// <summary>Records a dropped item at the scheduler's current tick: the operator's <c>onDropped</c>.</summary>
    /// <param name="item">The dropped item.</param>
    /// <exception cref="Exception">Whatever the <c>fail</c> function given to the constructor returns for <paramref name="item"/>.</exception>
    public void Add(T item)
    {
        lock (_items)
        {
            _items.Add(new Recorded<T>(_scheduler.Clock, item));
        }

        if (_fail?.Invoke(item) is { } error)
        {
            throw error;
        }
    }
}
