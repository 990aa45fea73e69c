using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Rx.Backpressure.Samples.FanOut;
using Rx.Backpressure.Tests.Support;
using GrpcFeed = Rx.Backpressure.Samples.FanOut.Grpc;

namespace Rx.Backpressure.Tests.Integration;

/// <summary>
/// One live feed served to many connections over real Kestrel loopback sockets with the real SignalR and gRPC
/// clients; some clients read slowly. Every connection must account for every item produced while it was connected,
/// in order, without duplicates; fast clients lose nothing; slow ones never hold the others back. (CI runs 40
/// connections per transport, 4 of them slow; the scale runner in the benchmarks goes to thousands.)
/// </summary>
[Category("Integration")]
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class FanOutTests
{
    private const int Connections = 40;
    private const int Slow = 4;
    private const int Items = 3_000;
    private const int FastCapacity = 8_192;
    private const int SlowCapacity = 32;

    [Test]
    public async Task SignalR_FastAndSlowClients_EveryConnectionAccountsForEveryItem()
    {
        await using var server = await Server.StartAsync();
        var clients = new List<(HubConnection Connection, Task<List<long>> Reading, string Name, bool IsSlow)>();
        for (int i = 0; i < Connections; i++)
        {
            bool slow = i < Slow;
            string name = $"client-{i}";
            HubConnection connection = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
            await connection.StartAsync();
            IAsyncEnumerable<Tick> stream = connection.StreamAsync<Tick>("Drops", slow ? SlowCapacity : FastCapacity, name);
            clients.Add((connection, ReadAsync(stream, slow), name, slow));
        }

        await server.WhenObservers(Connections);
        await server.ProduceAsync(Items);
        server.Feed.Complete();

        foreach (var client in clients)
        {
            List<long> received = await client.Reading.WaitAsync(TimeSpan.FromSeconds(60));
            StreamInfo info = server.Stream($"/{client.Name}");
            AssertAccounts(received, info, client.IsSlow, Items);
            await client.Connection.DisposeAsync();
        }

        await server.WhenObservers(0);
    }

    [Test]
    public async Task Grpc_FastAndSlowClients_EveryConnectionAccountsForEveryItem()
    {
        await using var server = await Server.StartAsync();
        using GrpcChannel channel = GrpcChannel.ForAddress(server.Grpc);
        var client = new GrpcFeed.Feed.FeedClient(channel);
        var clients = new List<(AsyncServerStreamingCall<GrpcFeed.Tick> Call, Task<List<long>> Reading, string Name, bool IsSlow)>();
        for (int i = 0; i < Connections; i++)
        {
            bool slow = i < Slow;
            string name = $"client-{i}";
            AsyncServerStreamingCall<GrpcFeed.Tick> call = client.Subscribe(new GrpcFeed.SubscribeRequest { Mode = "drop", Capacity = slow ? SlowCapacity : FastCapacity, Client = name });
            clients.Add((call, ReadAsync(call, slow), name, slow));
        }

        await server.WhenObservers(Connections);
        await server.ProduceAsync(Items);
        server.Feed.Complete();

        foreach (var c in clients)
        {
            List<long> received = await c.Reading.WaitAsync(TimeSpan.FromSeconds(60));
            AssertAccounts(received, server.Stream($"/{c.Name}"), c.IsSlow, Items);
            c.Call.Dispose();
        }

        await server.WhenObservers(0);
    }

    [Test]
    public async Task SignalR_LatestAndSample_FastClientsGetTheLatestWithinOneSample()
    {
        await using var server = await Server.StartAsync();
        var connection = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
        await connection.StartAsync();
        Task<List<long>> latest = ReadAsync(connection.StreamAsync<Tick>("Latest", 100, "latest"), slow: true);
        Task<List<long>> sample = ReadAsync(connection.StreamAsync<Tick>("Samples", 1, "sample"), slow: true);
        await server.WhenObservers(2);
        await server.ProduceAsync(Items);
        server.Feed.Complete();

        List<long> latestSeen = await latest.WaitAsync(TimeSpan.FromSeconds(60));
        List<long> sampleSeen = await sample.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(sampleSeen[^1], Is.EqualTo(Items - 1), "the last value is never lost");
        Assert.That(sampleSeen, Is.Ordered.Ascending.And.Unique);
        Assert.That(latestSeen.TakeLast(100).Select(s => s % 100), Is.EquivalentTo(Enumerable.Range(0, 100)), "every key's latest value arrives at the end");
        Assert.That(latestSeen.TakeLast(100).Min(), Is.GreaterThanOrEqualTo(Items - 100), "each key's value is its latest");
        AssertAccounts(latestSeen, server.Stream("/latest"), slow: true, Items);
        await connection.DisposeAsync();
    }

    [Test]
    public async Task SignalR_ClientThatDisconnectsAbruptly_ReleasesItsSubscriptionAtOnce_LeftOversReported()
    {
        await using var server = await Server.StartAsync();
        var stay = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
        var leave = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
        await stay.StartAsync();
        await leave.StartAsync();
        Task<List<long>> staying = ReadAsync(stay.StreamAsync<Tick>("Drops", FastCapacity, "stay"), slow: false);
        using var leaving = new CancellationTokenSource();
        _ = ReadAsync(leave.StreamAsync<Tick>("Drops", 16, "leave", leaving.Token), slow: true, leaving.Token);
        await server.WhenObservers(2);

        await server.ProduceAsync(500);
        await leave.DisposeAsync();   // the connection goes away mid-stream
        await server.WhenObservers(1);
        await server.ProduceAsync(500);
        server.Feed.Complete();

        List<long> received = await staying.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, 1000).Select(i => (long)i)), "the other client is unaffected");
        StreamInfo left = server.Stream("/leave");
        await Server.WhenFinished(left);
        Assert.That(left.Counters.Received, Is.EqualTo(left.Counters.Delivered + left.Counters.Dropped), "what it held was reported at the disconnect");
        Assert.That(left.Counters.Received, Is.LessThanOrEqualTo(500), "nothing reached it after it left");
        await stay.DisposeAsync();
    }

    [Test]
    public async Task SignalR_ClientWhoseSocketIsResetWithoutACloseFrame_ReleasesItsSubscription_LeftOversReported()
    {
        await using var server = await Server.StartAsync();
        using var proxy = new TcpProxy(server.HttpPort);
        var stay = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
        var lost = new HubConnectionBuilder().WithUrl($"http://127.0.0.1:{proxy.Port}/feed", o => o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets).Build();
        await stay.StartAsync();
        await lost.StartAsync();
        Task<List<long>> staying = ReadAsync(stay.StreamAsync<Tick>("Drops", FastCapacity, "stay"), slow: false);
        _ = ReadAsync(lost.StreamAsync<Tick>("Drops", 16, "lost"), slow: true);
        await server.WhenObservers(2);

        await server.ProduceAsync(400);
        proxy.Abort();   // the network goes away: a reset, no close frame
        await server.WhenObservers(1);
        await server.ProduceAsync(100);
        server.Feed.Complete();

        Assert.That(await staying.WaitAsync(TimeSpan.FromSeconds(60)), Has.Count.EqualTo(500), "the other client is unaffected");
        StreamInfo info = server.Stream("/lost");
        await Server.WhenFinished(info);
        Assert.That(info.Counters.Delivered + info.Counters.Dropped, Is.EqualTo(info.Counters.Received), "what it held was reported");
        Assert.That(info.Counters.Received, Is.LessThanOrEqualTo(400), "nothing reached it after the reset");
        await lost.DisposeAsync();
        await stay.DisposeAsync();
    }

    [Test]
    public async Task InvalidCapacity_TheErrorReachesThatClient_TheServerKeepsServingOthers()
    {
        await using var server = await Server.StartAsync();
        var connection = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
        await connection.StartAsync();
        Assert.That(
            async () =>
            {
                await foreach (Tick tick in connection.StreamAsync<Tick>("Drops", -1, "bad"))
                {
                    Assert.Fail($"no item expected, got {tick}");
                }
            },
            Throws.InstanceOf<HubException>().With.Message.Contain("capacity"));

        using GrpcChannel channel = GrpcChannel.ForAddress(server.Grpc);
        var grpc = new GrpcFeed.Feed.FeedClient(channel);
        using AsyncServerStreamingCall<GrpcFeed.Tick> bad = grpc.Subscribe(new GrpcFeed.SubscribeRequest { Mode = "latest", Capacity = 0, Client = "bad" });
        var rpc = Assert.ThrowsAsync<RpcException>(async () => await bad.ResponseStream.MoveNext(CancellationToken.None));
        Assert.That(rpc!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));

        Task<List<long>> good = ReadAsync(connection.StreamAsync<Tick>("Drops", FastCapacity, "good"), slow: false);
        await server.WhenObservers(1);
        await server.ProduceAsync(200);
        server.Feed.Complete();
        Assert.That(await good.WaitAsync(TimeSpan.FromSeconds(60)), Has.Count.EqualTo(200));
        await connection.DisposeAsync();
    }

    [Test]
    public async Task Grpc_ClientsThatNeverRead_ServerHeapDoesNotGrowWithTheRunsLength_OthersUnaffected()
    {
        // Ten clients open a stream and never read it: HTTP/2 flow control stops the server's writes, and each
        // connection's operator sheds at its bound. A run twice as long must not grow the server's managed heap
        // (with an unbounded channel per connection instead, it grew by 4.5 MB here).
        await using var server = await Server.StartAsync();
        using GrpcChannel channel = GrpcChannel.ForAddress(server.Grpc, new GrpcChannelOptions { HttpHandler = new System.Net.Http.SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
        var feedClient = new GrpcFeed.Feed.FeedClient(channel);
        var stalled = Enumerable.Range(0, 10)
            .Select(i => feedClient.Subscribe(new GrpcFeed.SubscribeRequest { Mode = "drop", Capacity = 64, Client = $"stalled-{i}" }))
            .ToList();
        using var fast = feedClient.Subscribe(new GrpcFeed.SubscribeRequest { Mode = "drop", Capacity = FastCapacity * 8, Client = "fast" });
        Task<List<long>> fastReading = ReadAsync(fast, slow: false);
        await server.WhenObservers(11);

        server.PushAll(20_000);
        long first = await Server.SettledHeapAsync();
        server.PushAll(40_000);
        long second = await Server.SettledHeapAsync();

        TestContext.Out.WriteLine($"server heap: {first:N0} B after 20,000 items, {second:N0} B after 60,000");
        Assert.That(second - first, Is.LessThan(2_000_000), $"heap after the first run {first:N0} B, after a run twice as long {second:N0} B");
        foreach (StreamInfo info in Enumerable.Range(0, 10).Select(i => server.Stream($"/stalled-{i}")))
        {
            Assert.That(info.Counters.PeakBuffered, Is.LessThanOrEqualTo(64), $"{info.Id}: bounded");
            Assert.That(info.Counters.Delivered + info.Counters.Dropped + info.Counters.Buffered, Is.EqualTo(info.Counters.Received), $"{info.Id}: accounted");
        }

        server.Feed.Complete();
        List<long> fastItems = await fastReading.WaitAsync(TimeSpan.FromSeconds(60));
        BackpressureCounters fastCounters = server.Stream("/fast").Counters;
        Assert.That(
            fastItems,
            Has.Count.EqualTo(60_000),
            $"the reading client got everything (its stream: received {fastCounters.Received}, delivered {fastCounters.Delivered}, dropped {fastCounters.Dropped}, buffered {fastCounters.Buffered})");
        foreach (var call in stalled)
        {
            call.Dispose();
        }

        await server.WhenObservers(0);
    }

    [Test]
    public async Task SignalR_CancelledStreamInvocation_ReleasesTheSubscription_CountsAddUp()
    {
        await using var server = await Server.StartAsync();
        var connection = new HubConnectionBuilder().WithUrl($"{server.Http}/feed").Build();
        await connection.StartAsync();
        using var cancel = new CancellationTokenSource();
        Task<List<long>> cancelled = ReadAsync(connection.StreamAsync<Tick>("Drops", 16, "cancelled", cancel.Token), slow: true, cancel.Token);
        Task<List<long>> other = ReadAsync(connection.StreamAsync<Tick>("Drops", FastCapacity, "other"), slow: false);
        await server.WhenObservers(2);

        await server.ProduceAsync(300);
        await cancel.CancelAsync();
        await cancelled;
        await server.WhenObservers(1);
        StreamInfo info = server.Stream("/cancelled");
        await Server.WhenFinished(info);
        Assert.That(info.Counters.Delivered + info.Counters.Dropped, Is.EqualTo(info.Counters.Received), "what it held was reported");

        await server.ProduceAsync(100);
        server.Feed.Complete();
        Assert.That(await other.WaitAsync(TimeSpan.FromSeconds(60)), Has.Count.EqualTo(400), "the same connection's other stream is unaffected");
        await connection.DisposeAsync();
    }

    private static void AssertAccounts(List<long> received, StreamInfo info, bool slow, int produced)
    {
        BackpressureCounters c = info.Counters;
        Assert.That(received, Is.Ordered.Ascending.And.Unique, $"{info.Id}: in order, no duplicates");
        Assert.That(c.Received, Is.EqualTo(produced), $"{info.Id}: connected before the first item, so it received all");
        Assert.That(c.Delivered + c.Dropped, Is.EqualTo(c.Received), $"{info.Id}: delivered + dropped = produced while connected");
        Assert.That(received, Has.Count.EqualTo(c.Delivered), $"{info.Id}: the client got every item the operator delivered");
        Assert.That(c.PeakBuffered, Is.LessThanOrEqualTo(info.Capacity + 1), $"{info.Id}: bounded");
        if (!slow)
        {
            Assert.That(c.Dropped, Is.Zero, $"{info.Id}: a fast client loses nothing");
        }
    }

    private static async Task<List<long>> ReadAsync(IAsyncEnumerable<Tick> stream, bool slow, CancellationToken cancellationToken = default)
    {
        var received = new List<long>();
        try
        {
            await foreach (Tick tick in stream.WithCancellation(cancellationToken))
            {
                received.Add(tick.Sequence);
                if (slow)
                {
                    await Task.Delay(2, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or HubException)
        {
        }

        return received;
    }

    private static async Task<List<long>> ReadAsync(AsyncServerStreamingCall<GrpcFeed.Tick> call, bool slow)
    {
        var received = new List<long>();
        await foreach (GrpcFeed.Tick tick in call.ResponseStream.ReadAllAsync())
        {
            received.Add(tick.Sequence);
            if (slow)
            {
                await Task.Delay(2);
            }
        }

        return received;
    }

    /// <summary>The sample app on two free loopback ports, with the feed pushed by the test.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Server(WebApplication app, int httpPort, int grpcPort)
        {
            _app = app;
            HttpPort = httpPort;
            Http = $"http://127.0.0.1:{httpPort}";
            Grpc = $"http://127.0.0.1:{grpcPort}";
        }

        public int HttpPort { get; }

        public string Http { get; }

        public string Grpc { get; }

        public Feed Feed => _app.Services.GetRequiredService<Feed>();

        public static async Task<Server> StartAsync()
        {
            int httpPort = FreePort();
            int grpcPort = FreePort();
            WebApplication app = FanOutApp.Build(httpPort, grpcPort, ["--Logging:LogLevel:Default=Warning"]);
            await app.StartAsync();
            return new Server(app, httpPort, grpcPort);
        }

        public StreamInfo Stream(string suffix) => _app.Services.GetRequiredService<Streams>().All.Single(s => s.Id.EndsWith(suffix, StringComparison.Ordinal));

        public async Task WhenObservers(int count)
        {
            for (int i = 0; i < 3_000 && Feed.Observers != count; i++)
            {
                await Task.Delay(10);
            }

            Assert.That(Feed.Observers, Is.EqualTo(count), "subscribed connections");
        }

        public static async Task WhenFinished(StreamInfo info)
        {
            for (int i = 0; i < 3_000 && !info.Finished; i++)
            {
                await Task.Delay(10);
            }

            Assert.That(info.Finished, Is.True, $"{info.Id} finished");
        }

        /// <summary>Pushes items at about 2,000/s, a pace loopback clients keep up with; slow clients fall behind.</summary>
        public async Task ProduceAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                Feed.Push((int)(Feed.Produced % 100));
                if (i % 20 == 19)
                {
                    await Task.Delay(10);
                }
            }
        }

        /// <summary>Pushes items as fast as the producer can.</summary>
        public void PushAll(int count)
        {
            for (int i = 0; i < count; i++)
            {
                Feed.Push((int)(Feed.Produced % 100));
            }
        }

        /// <summary>The managed heap after the server has settled (no more growth between two forced collections).</summary>
        public static async Task<long> SettledHeapAsync()
        {
            long previous = -1;
            long now = GC.GetTotalMemory(forceFullCollection: true);
            for (int i = 0; i < 20 && Math.Abs(now - previous) > 100_000; i++)
            {
                await Task.Delay(100);
                previous = now;
                now = GC.GetTotalMemory(forceFullCollection: true);
            }

            return now;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
