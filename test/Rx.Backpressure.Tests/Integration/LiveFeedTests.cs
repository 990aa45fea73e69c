using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using NUnit.Framework;
using Rx.Backpressure.Samples.LiveFeed;

namespace Rx.Backpressure.Tests.Integration;

/// <summary>
/// The live-feed sample on the real Kestrel server, on a free loopback port, read by a deliberately slow TCP
/// client: real TCP flow control pushes back, the operator sheds load at its bound, and /stats reports the drops.
/// </summary>
[Category("Integration")]
[CancelAfter(60_000)]
[NonParallelizable]
public sealed class LiveFeedTests
{
    [TestCase("drop", 32)]
    [TestCase("sample", 8)]
    public async Task LiveFeed_SlowHttpClient_ServerBufferStaysBounded_DropsAreReported(string mode, int capacity)
    {
        await using WebApplication app = LiveFeedApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var address = new Uri(app.Urls.First());

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(address.Host, address.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /feed?mode={mode}&capacity={capacity} HTTP/1.0\r\nHost: {address.Authority}\r\n\r\n"));

        // Read slowly: 256 bytes every 10 ms for about a second.
        var received = new StringBuilder();
        byte[] chunk = new byte[256];
        for (int i = 0; i < 100; i++)
        {
            int n = await socket.ReceiveAsync(chunk);
            received.Append(Encoding.ASCII.GetString(chunk, 0, n));
            await Task.Delay(10);
        }

        using var http = new HttpClient { BaseAddress = address };
        JsonElement live = (await http.GetFromJsonAsync<JsonElement[]>("/stats"))!.Single();
        Assert.That(live.GetProperty("peakBuffered").GetInt64(), Is.LessThanOrEqualTo(capacity + (mode == "sample" ? 1 : 0)), "bounded while the client is slow");

        // The client goes away: the stream stops, and its final counts add up exactly.
        socket.Close();
        JsonElement stats = live;
        for (int attempt = 0; attempt < 500 && !stats.GetProperty("finished").GetBoolean(); attempt++)
        {
            await Task.Delay(20);
            stats = (await http.GetFromJsonAsync<JsonElement[]>("/stats"))!.Single();
        }

        Assert.That(stats.GetProperty("finished").GetBoolean(), Is.True, "the stream ended within 10 s of the client leaving");

        long dropped = stats.GetProperty("dropped").GetInt64();
        long delivered = stats.GetProperty("delivered").GetInt64();
        long buffered = stats.GetProperty("buffered").GetInt64();
        long peak = stats.GetProperty("peakBuffered").GetInt64();
        long receivedCount = stats.GetProperty("received").GetInt64();
        Assert.That(peak, Is.LessThanOrEqualTo(capacity + (mode == "sample" ? 1 : 0)), "the server's buffer stayed bounded");
        Assert.That(dropped, Is.GreaterThan(0), "the surge was shed and the drops are reported");
        Assert.That(delivered, Is.GreaterThan(0));
        Assert.That(buffered, Is.Zero);
        Assert.That(receivedCount, Is.EqualTo(delivered + dropped), "every tick the operator received was delivered or dropped");

        // What the client read: the HTTP head, then lines of increasing tick numbers with gaps.
        string body = received.ToString();
        Assert.That(body, Does.StartWith("HTTP/1.1 200"));
        body = body[(body.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        long[] ticks = body.Split('\n').SkipLast(1).Select(long.Parse).ToArray();
        Assert.That(ticks.Length, Is.GreaterThan(10));
        Assert.That(ticks, Is.Ordered.Ascending.And.Unique, "in source order");
        Assert.That(ticks[^1] - ticks[0], Is.GreaterThan(ticks.Length), "with gaps where the surge was shed");

        await app.StopAsync();
    }
}
