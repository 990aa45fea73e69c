using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Reactive;
using System.Text;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// Renders a marble diagram as SVG from what a virtual-time run recorded — source, consumer pulls, deliveries,
/// drops, pressure — so the pictures in the docs can never disagree with the code.
/// </summary>
public sealed class MarbleDiagram
{
    private const int LeftMargin = 150;
    private const int Width = 760;
    private const int LaneHeight = 56;
    private readonly List<Lane> _lanes = [];
    private readonly string _title;
    private readonly long _start;
    private readonly long _end;

    /// <summary>Initializes a new instance of the <see cref="MarbleDiagram"/> class.</summary>
    /// <param name="title">The caption.</param>
    /// <param name="start">The first tick shown.</param>
    /// <param name="end">The last tick shown.</param>
    /// <exception cref="ArgumentNullException"><paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="end"/> is not after <paramref name="start"/>.</exception>
    public MarbleDiagram(string title, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, start);
        _title = title;
        _start = start;
        _end = end;
    }

    private enum MarkKind
    {
        Item,
        Dropped,
        Completed,
        Error,
        Tick,
    }

    /// <summary>Adds a lane of notifications (a source or the deliveries): items as marbles, completion as a bar, errors as a cross.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="name">The lane's name.</param>
    /// <param name="messages">The notifications with their ticks.</param>
    /// <param name="label">The text in a marble; the value's string by default.</param>
    /// <returns>This diagram.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="messages"/> is null.</exception>
    public MarbleDiagram AddLane<T>(string name, IEnumerable<Recorded<Notification<T>>> messages, Func<T, string>? label = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(messages);
        label ??= v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty;
        _lanes.Add(new Lane(name, [.. messages.Select(m => m.Value.Kind switch
        {
            NotificationKind.OnNext => new Mark(m.Time, MarkKind.Item, label(m.Value.Value)),
            NotificationKind.OnCompleted => new Mark(m.Time, MarkKind.Completed, string.Empty),
            _ => new Mark(m.Time, MarkKind.Error, m.Value.Exception?.GetType().Name ?? "error"),
        })]));
        return this;
    }

    /// <summary>Adds a lane of dropped values, drawn as struck-through marbles.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="name">The lane's name.</param>
    /// <param name="values">The dropped values with their ticks.</param>
    /// <param name="label">The text in a marble; the value's string by default.</param>
    /// <returns>This diagram.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="values"/> is null.</exception>
    public MarbleDiagram AddDrops<T>(string name, IEnumerable<Recorded<T>> values, Func<T, string>? label = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        label ??= v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty;
        _lanes.Add(new Lane(name, [.. values.Select(v => new Mark(v.Time, MarkKind.Dropped, label(v.Value)))]));
        return this;
    }

    /// <summary>Adds a lane of instants (a consumer's pulls, a source's requests), drawn as small triangles.</summary>
    /// <param name="name">The lane's name.</param>
    /// <param name="ticks">The ticks.</param>
    /// <returns>This diagram.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="ticks"/> is null.</exception>
    public MarbleDiagram AddTicks(string name, IEnumerable<long> ticks)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(ticks);
        _lanes.Add(new Lane(name, [.. ticks.Select(t => new Mark(t, MarkKind.Tick, string.Empty))]));
        return this;
    }

    /// <summary>Renders the diagram.</summary>
    /// <returns>An SVG document.</returns>
    public string ToSvg()
    {
        int height = 40 + (_lanes.Count * LaneHeight) + 30;
        int right = LeftMargin + Width;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{right + 30}\" height=\"{height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{Escape(_title)}</text>\n");
        for (int i = 0; i < _lanes.Count; i++)
        {
            Lane lane = _lanes[i];
            int y = 40 + (i * LaneHeight) + (LaneHeight / 2);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{y + 4}\">{Escape(lane.Name)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{LeftMargin}\" y1=\"{y}\" x2=\"{right}\" y2=\"{y}\" stroke=\"#555\" stroke-width=\"1.5\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<polygon points=\"{right},{y - 5} {right + 10},{y} {right},{y + 5}\" fill=\"#555\"/>\n");
            foreach (var group in lane.Marks.GroupBy(m => m.Tick))
            {
                int k = 0;
                foreach (Mark mark in group)
                {
                    Draw(svg, mark, X(mark.Tick) + (k * 14), y);   // same tick: side by side, in order
                    k++;
                }
            }
        }

        int axis = 40 + (_lanes.Count * LaneHeight) + 12;
        long step = Step(_end - _start);
        for (long t = (_start + step - 1) / step * step; t <= _end; t += step)
        {
            double x = X(t);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:F1}\" y1=\"40\" x2=\"{x:F1}\" y2=\"{axis - 10}\" stroke=\"#eee\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{axis + 6}\" text-anchor=\"middle\" fill=\"#777\" font-size=\"11\">{t}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static long Step(long span)
    {
        long step = 1;
        while (span / step > 12)
        {
            step *= step.ToString(CultureInfo.InvariantCulture)[0] == '2' ? 5 : 2;
        }

        return step;
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static void Draw(StringBuilder svg, Mark mark, double x, int y)
    {
        switch (mark.Kind)
        {
            case MarkKind.Item:
            case MarkKind.Dropped:
                string fill = mark.Kind == MarkKind.Item ? "#cfe3ff" : "#ffd9d9";
                string stroke = mark.Kind == MarkKind.Item ? "#2a62b8" : "#c0392b";
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{x:F1}\" cy=\"{y}\" r=\"11\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{y + 4}\" text-anchor=\"middle\" font-size=\"11\">{Escape(mark.Label)}</text>\n");
                if (mark.Kind == MarkKind.Dropped)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x - 9:F1}\" y1=\"{y + 9}\" x2=\"{x + 9:F1}\" y2=\"{y - 9}\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>\n");
                }

                break;
            case MarkKind.Completed:
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:F1}\" y1=\"{y - 13}\" x2=\"{x:F1}\" y2=\"{y + 13}\" stroke=\"#222\" stroke-width=\"3\"/>\n");
                break;
            case MarkKind.Error:
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M{x - 8:F1},{y - 8} L{x + 8:F1},{y + 8} M{x - 8:F1},{y + 8} L{x + 8:F1},{y - 8}\" stroke=\"#c0392b\" stroke-width=\"3\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 12:F1}\" y=\"{y - 10}\" font-size=\"10\" fill=\"#c0392b\">{Escape(mark.Label)}</text>\n");
                break;
            default:
                svg.Append(CultureInfo.InvariantCulture, $"<polygon points=\"{x - 6:F1},{y - 12} {x + 6:F1},{y - 12} {x:F1},{y - 2}\" fill=\"#27ae60\"/>\n");
                break;
        }
    }

    private double X(long tick) => LeftMargin + ((double)(tick - _start) / (_end - _start) * (Width - 20)) + 10;

    private sealed record Mark(long Tick, MarkKind Kind, string Label);

    private sealed record Lane(string Name, IReadOnlyList<Mark> Marks);
}
