using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using System.Text;
using Microsoft.Reactive.Testing;

namespace Rx.Backpressure.Testing;

/// <summary>
/// Marble notation for virtual-time tests, in the spirit of RxJS: one character is one frame of
/// <c>frame</c> ticks. <c>-</c> is a frame with nothing; any other printable character (a letter or digit, usually)
/// is an item; <c>(ab)</c> is a group of events in one frame; <c>|</c> is completion; <c>#</c> is an error; spaces
/// are ignored. Unlike RxJS, a group occupies exactly one frame, so parsing and formatting are exact inverses, and
/// there is no subscription point (<c>^</c>, <c>!</c>): the consumer's subscription is the test's own.
/// <see cref="Parse(string, long, long, Exception?)"/> rejects what is not a diagram: nothing but frames may
/// follow <c>|</c> or <c>#</c> (so there is at most one terminal), groups close and do not nest.
/// </summary>
/// <example>
/// <code>
/// var xs = scheduler.CreateHotObservable(Marble.Parse("--abcde------------|", offset: 200, frame: 5));
/// var res = scheduler.StartPull(() => xs.DropWhenFull(2, scheduler: scheduler), 25);
/// Assert.That(Marble.Format(res.Messages, offset: 200, frame: 5), Is.EqualTo("--a----b----c------|"));
/// </code>
/// </example>
public static class Marble
{
    /// <summary>The default frame length, in ticks.</summary>
    public const long DefaultFrame = 10;

    /// <summary>Parses a diagram whose items are its own characters.</summary>
    /// <param name="diagram">The diagram.</param>
    /// <param name="offset">The tick of the first frame.</param>
    /// <param name="frame">Ticks per frame.</param>
    /// <param name="error">The exception for <c>#</c>; a generic one when null.</param>
    /// <returns>The recorded notifications, for <c>CreateHotObservable</c>, <c>CreateColdObservable</c> or <c>CreateColdAsyncEnumerable</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is not positive.</exception>
    /// <exception cref="FormatException">The diagram is malformed.</exception>
    public static Recorded<Notification<char>>[] Parse(string diagram, long offset = 0, long frame = DefaultFrame, Exception? error = null) =>
        Parse(diagram, c => c, offset, frame, error);

    /// <summary>Parses a diagram, mapping each item character to a value.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="diagram">The diagram.</param>
    /// <param name="value">Maps an item character to its value.</param>
    /// <param name="offset">The tick of the first frame.</param>
    /// <param name="frame">Ticks per frame.</param>
    /// <param name="error">The exception for <c>#</c>; a generic one when null.</param>
    /// <returns>The recorded notifications.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is not positive.</exception>
    /// <exception cref="FormatException">The diagram is malformed.</exception>
    public static Recorded<Notification<T>>[] Parse<T>(string diagram, Func<char, T> value, long offset = 0, long frame = DefaultFrame, Exception? error = null)
    {
        ArgumentNullException.ThrowIfNull(diagram);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frame);
        var result = new List<Recorded<Notification<T>>>();
        long index = 0;
        int groupStart = -1;
        int terminalAt = -1;
        for (int position = 0; position < diagram.Length; position++)
        {
            char c = diagram[position];
            long tick = offset + (index * frame);
            if (terminalAt >= 0 && c is not (' ' or '-' or ')'))
            {
                throw Malformed(diagram, position, $"'{c}' after the terminal '{diagram[terminalAt]}' at position {terminalAt}: nothing can follow completion or an error");
            }

            switch (c)
            {
                case ' ':
                    continue;
                case '(':
                    groupStart = groupStart < 0 ? position : throw Malformed(diagram, position, "a group inside a group");
                    continue;
                case ')':
                    groupStart = groupStart >= 0 ? -1 : throw Malformed(diagram, position, "')' without '('");
                    break;
                case '-':
                    break;
                case '|':
                    terminalAt = position;
                    result.Add(ReactiveTest.OnCompleted<T>(tick));
                    break;
                case '#':
                    terminalAt = position;
                    result.Add(ReactiveTest.OnError<T>(tick, error ?? new InvalidOperationException("marble error")));
                    break;
                case '^' or '!':
                    throw Malformed(diagram, position, $"'{c}' is RxJS notation for a subscription point, which this notation does not use: the subscription tick is StartPull's 'subscribed'");
                default:
                    if (char.IsControl(c) || char.IsWhiteSpace(c))
                    {
                        throw Malformed(diagram, position, "a control or white-space character (only the space is allowed, for alignment)");
                    }

                    result.Add(ReactiveTest.OnNext(tick, value(c)));
                    break;
            }

            if (groupStart < 0)
            {
                index++;
            }
        }

        return groupStart >= 0 ? throw Malformed(diagram, groupStart, "'(' is never closed") : [.. result];
    }

    /// <summary>Formats recorded notifications as a diagram, the inverse of <see cref="Parse(string, long, long, Exception?)"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="messages">The notifications, at ticks <c>offset + k × frame</c>.</param>
    /// <param name="offset">The tick of the first frame.</param>
    /// <param name="frame">Ticks per frame.</param>
    /// <param name="symbol">The character for an item; its first character by default.</param>
    /// <returns>The diagram, ending at the last event.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is null.</exception>
    /// <exception cref="ArgumentException">An event is not on a frame boundary or before <paramref name="offset"/>.</exception>
    public static string Format<T>(IEnumerable<Recorded<Notification<T>>> messages, long offset = 0, long frame = DefaultFrame, Func<T, char>? symbol = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frame);
        symbol ??= v => v?.ToString() is { Length: > 0 } s ? s[0] : '?';
        char Symbol(Notification<T> n) => n.Kind switch
        {
            NotificationKind.OnNext => symbol(n.Value),
            NotificationKind.OnCompleted => '|',
            _ => '#',
        };

        return Lane(messages.Select(m => (m.Time, Symbol(m.Value))), offset, frame, nameof(messages));
    }

    /// <summary>Formats ticks (a consumer's pulls, a drop lane) as a diagram with <paramref name="mark"/> at each tick.</summary>
    /// <param name="ticks">The ticks, on frame boundaries.</param>
    /// <param name="mark">The character for each tick.</param>
    /// <param name="offset">The tick of the first frame.</param>
    /// <param name="frame">Ticks per frame.</param>
    /// <returns>The diagram.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ticks"/> is null.</exception>
    /// <exception cref="ArgumentException">A tick is not on a frame boundary or before <paramref name="offset"/>.</exception>
    public static string FormatTicks(IEnumerable<long> ticks, char mark = 'x', long offset = 0, long frame = DefaultFrame)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frame);
        return Lane(ticks.Select(t => (t, mark)), offset, frame, nameof(ticks));
    }

    /// <summary>Formats values recorded at ticks (for example a drop log) as a diagram.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="values">The values with their ticks.</param>
    /// <param name="offset">The tick of the first frame.</param>
    /// <param name="frame">Ticks per frame.</param>
    /// <param name="symbol">The character for a value; its first character by default.</param>
    /// <returns>The diagram.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is not positive.</exception>
    /// <exception cref="ArgumentException">A tick is not on a frame boundary or before <paramref name="offset"/>.</exception>
    public static string FormatValues<T>(IEnumerable<Recorded<T>> values, long offset = 0, long frame = DefaultFrame, Func<T, char>? symbol = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frame);
        symbol ??= v => v?.ToString() is { Length: > 0 } s ? s[0] : '?';
        return Lane(values.Select(v => (v.Time, symbol(v.Value))), offset, frame, nameof(values));
    }

    private static FormatException Malformed(string diagram, int position, string problem) =>
        new($"Invalid marble diagram '{diagram}' at position {position}: {problem}.");

    private static string Lane(IEnumerable<(long Tick, char Symbol)> events, long offset, long frame, string paramName)
    {
        var byFrame = new SortedDictionary<long, StringBuilder>();
        foreach (var (tick, symbol) in events)
        {
            if (tick < offset || (tick - offset) % frame != 0)
            {
                throw new ArgumentException($"Tick {tick} is not on a frame boundary (offset {offset}, frame {frame}).", paramName);
            }

            long index = (tick - offset) / frame;
            if (!byFrame.TryGetValue(index, out StringBuilder? chars))
            {
                byFrame[index] = chars = new StringBuilder();
            }

            chars.Append(symbol);
        }

        var diagram = new StringBuilder();
        long next = 0;
        foreach (var (index, chars) in byFrame)
        {
            diagram.Append('-', (int)(index - next));
            diagram.Append(chars.Length == 1 ? chars.ToString() : $"({chars})");
            next = index + 1;
        }

        return diagram.ToString();
    }
}
