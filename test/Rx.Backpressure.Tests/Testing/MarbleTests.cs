using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using Rx.Backpressure.Testing;
using Rx.Backpressure.Tests.Support;

namespace Rx.Backpressure.Tests.Testing;

public sealed class MarbleTests : ReactiveTest
{
    [Test]
    public void Marble_ArgumentChecking()
    {
        Assert.That(() => Marble.Parse(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("diagram"));
        Assert.That(() => Marble.Parse("-a", frame: 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("frame"));
        Assert.That(() => Marble.Parse("(a(b))"), Throws.TypeOf<FormatException>());
        Assert.That(() => Marble.Parse("a)"), Throws.TypeOf<FormatException>());
        Assert.That(() => Marble.Parse("(ab"), Throws.TypeOf<FormatException>());
        Assert.That(() => Marble.Format(new[] { OnNext(15, 'a') }, frame: 10), Throws.ArgumentException.With.Property("ParamName").EqualTo("messages"));
        Assert.That(() => Marble.FormatTicks(new long[] { 15 }, frame: 10), Throws.ArgumentException.With.Property("ParamName").EqualTo("ticks"));
        Assert.That(() => Marble.FormatValues(new[] { new Recorded<int>(15, 1) }, frame: 10), Throws.ArgumentException.With.Property("ParamName").EqualTo("values"));
        Assert.That(() => new MarbleDiagram("t", 10, 10), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("end"));
    }

    [TestCase("-a-|-b", "after the terminal")]
    [TestCase("-a-|-#", "after the terminal")]
    [TestCase("-a-#|", "after the terminal")]
    [TestCase("--^--a--|", "subscription point")]
    [TestCase("-a-!", "subscription point")]
    [TestCase("(ab", "never closed")]
    [TestCase("a)", "without '('")]
    [TestCase("(a(b))", "inside a group")]
    [TestCase("-a\t-b", "white-space")]
    public void Marble_Parse_RejectsWhatIsNotADiagram_WithAClearMessage(string diagram, string says)
    {
        diagram = diagram.Replace("\\t", "\t", StringComparison.Ordinal);
        Assert.That(() => Marble.Parse(diagram), Throws.TypeOf<FormatException>().With.Message.Contain(says).And.Message.Contain("position"));
    }

    [Test]
    public void Marble_Parse_FramesGroupsCompletionAndError()
    {
        var ex = new InvalidOperationException();

        Assert.That(Marble.Parse("-a-(bc)-|", offset: 200, frame: 10), Is.EqualTo(new[] { OnNext(210, 'a'), OnNext(230, 'b'), OnNext(230, 'c'), OnCompleted<char>(250) }));
        Assert.That(Marble.Parse("a b #", frame: 5, error: ex), Is.EqualTo(new[] { OnNext(0, 'a'), OnNext(5, 'b'), OnError<char>(10, ex) }));
        Assert.That(Marble.Parse("-1-2", c => c - '0', frame: 1), Is.EqualTo(new[] { OnNext(1, 1), OnNext(3, 2) }));
    }

    [Test]
    public void Marble_FormatIsTheInverseOfParse([Values("-a-(bc)-|", "abc", "---#", "(a|)", "")] string diagram)
    {
        Assert.That(Marble.Format(Marble.Parse(diagram, offset: 100, frame: 7), offset: 100, frame: 7), Is.EqualTo(diagram));
    }

    [Test]
    public void Marble_DropWhenFull_ReadsLikeTheDiagram([Values(false, true)] bool pullShape)
    {
        // frame = 5 ticks, from tick 200; the consumer needs 25 ticks (5 frames) per item.
        const string Source = "--abcde------------|";
        const string Delivered = "--a----b----c------|";
        const string Pulls = "x------x----x----x";
        const string Dropped = "-----de";

        var scheduler = new TestScheduler();
        var drops = new DropRecorder<int>(scheduler);
        var pulls = new List<long>();
        var xs = new TestSource(scheduler, pullShape, Marble.Parse(Source, c => c - 'a' + 1, offset: 200, frame: 5));

        var res = scheduler.StartPull(
            () => pullShape ? xs.AsyncEnumerable.DropWhenFull(2, drops.Add, scheduler) : xs.Observable.DropWhenFull(2, drops.Add, scheduler),
            25,
            pulls: pulls);

        char Letter(int v) => (char)('a' + v - 1);
        Assert.That(Marble.Format(res.Messages, offset: 200, frame: 5, symbol: Letter), Is.EqualTo(Delivered));
        Assert.That(Marble.FormatTicks(pulls, offset: 200, frame: 5), Is.EqualTo(Pulls));
        Assert.That(Marble.FormatValues(drops.Items, offset: 200, frame: 5, symbol: Letter), Is.EqualTo(Dropped));
    }

    [Test]
    public void MarbleDiagram_RendersEveryLaneAndMark()
    {
        string svg = new MarbleDiagram("DropWhenFull <2>", 200, 300)
            .AddLane("source", Marble.Parse("-ab-|", offset: 200, frame: 10))
            .AddTicks("pulls", [200, 230])
            .AddLane("delivered", new[] { OnNext(210, 'a'), OnError<char>(240, new InvalidOperationException()) })
            .AddDrops("dropped", new[] { new Recorded<char>(220, 'b') })
            .ToSvg();

        Assert.That(svg, Does.StartWith("<svg "));
        Assert.That(svg, Does.Contain("DropWhenFull &lt;2&gt;"), "escaped title");
        Assert.That(svg.Split("<circle").Length - 1, Is.EqualTo(4), "three items and one drop");
        Assert.That(svg, Does.Contain("InvalidOperationException"));
        Assert.That(svg.Split("<polygon").Length - 1, Is.EqualTo(4 + 2), "four lane arrows and two pulls");
    }
}
