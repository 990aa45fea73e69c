using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Rx.Backpressure.Samples.FanOut;
using GrpcFeed = Rx.Backpressure.Samples.FanOut.Grpc;

namespace Rx.Backpressure.Benchmarks;

/// <summary>
/// The fan-out scale runner (not a test): the FanOut sample in a child process, N SignalR or gRPC clients on loopback
/// (10 % of them slow), a fixed number of items; the server's managed heap per connection, its CPU per delivered item
/// and the clients' delivered fractions, for DropWhenFull(1024) per connection against an unbounded channel per
/// connection.
/// </summary>
public static class FanOutScale
{
    private const double Rate = 5_000;

    public static async Task<int> RunAsync(string outDir, bool quick)
    {
        int[] sizes = quick ? [20] : [100, 1_000, 5_000];
        int items = quick ? 1_000 : 20_000;
        var results = new List<Result>();
        foreach (string transport in new[] { "signalr", "grpc" })
        {
            foreach (string mode in new[] { "drop", "unbounded" })
            {
                foreach (int n in sizes)
                {
                    Result result = await RunOneAsync(transport, mode, n, items).ConfigureAwait(false);
                    Console.WriteLine(result);
                    results.Add(result);
                }
            }
        }

        if (!quick)
        {
            await WriteAsync(results, items, outDir).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The server side, in this child process: the sample on the given ports, no producer until told.</summary>
    public static async Task<int> ServeAsync(int httpPort, int grpcPort)
    {
        await using var app = FanOutApp.Build(httpPort, grpcPort, ["--Logging:LogLevel:Default=Warning"]);
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private static async Task<Result> RunOneAsync(string transport, string mode, int n, int items)
    {
        int httpPort = FreePort();
        int grpcPort = FreePort();
        using var server = Process.Start(ChildProcess.Self(redirectOutput: false, "--fan-out-server", httpPort.ToString(CultureInfo.InvariantCulture), grpcPort.ToString(CultureInfo.InvariantCulture)))!;

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        await WaitForAsync(async () => (await TryStatsAsync(http).ConfigureAwait(false)) is not null).ConfigureAwait(false);

        var readers = new List<Task<long>>();
        var hubs = new List<HubConnection>();
        var channels = new List<GrpcChannel>();
        using var stop = new CancellationTokenSource();
        GrpcChannel? grpc = null;
        if (transport == "grpc")
        {
            grpc = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            });
            channels.Add(grpc);
        }

        for (int i = 0; i < n; i++)
        {
            bool slow = i % 10 == 0;
            string name = (slow ? "slow-" : "fast-") + i.ToString(CultureInfo.InvariantCulture);
            if (transport == "signalr")
            {
                HubConnection hub = new HubConnectionBuilder().WithUrl($"http://127.0.0.1:{httpPort}/feed").Build();
                await hub.StartAsync().ConfigureAwait(false);
                hubs.Add(hub);
                IAsyncEnumerable<Tick> stream = mode == "drop"
                    ? hub.StreamAsync<Tick>("Drops", Scenario.Capacity, name, stop.Token)
                    : hub.StreamAsync<Tick>("Unbounded", name, stop.Token);
                readers.Add(ReadAsync(stream.Select(t => t.Sequence), slow, stop.Token));
            }
            else
            {
                var call = new GrpcFeed.Feed.FeedClient(grpc!).Subscribe(new GrpcFeed.SubscribeRequest { Mode = mode, Capacity = Scenario.Capacity, Client = name }, cancellationToken: stop.Token);
                readers.Add(ReadAsync(call.ResponseStream.ReadAllAsync(stop.Token).Select(t => t.Sequence), slow, stop.Token));
            }
        }

        await WaitForAsync(async () => (await TryStatsAsync(http).ConfigureAwait(false))?.GetProperty("observers").GetInt32() == n, TimeSpan.FromMinutes(3)).ConfigureAwait(false);
        await Task.Delay(500).ConfigureAwait(false);
        JsonElement before = (await TryStatsAsync(http).ConfigureAwait(false))!.Value;
        (await http.PostAsync(new Uri($"/produce?count={items}&rate={Rate}", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();

        long peakHeap = 0;
        JsonElement after = before;
        var produced = Stopwatch.StartNew();
        while (produced.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(100).ConfigureAwait(false);
            JsonElement? stats = await TryStatsAsync(http).ConfigureAwait(false);
            if (stats is null)
            {
                continue;
            }

            after = stats.Value;
            peakHeap = Math.Max(peakHeap, after.GetProperty("gcHeapBytes").GetInt64());
            if (after.GetProperty("produced").GetInt64() >= items)
            {
                break;
            }
        }

        // Let the fast clients finish what is in flight, then stop everyone.
        await Task.Delay(1_000).ConfigureAwait(false);
        JsonElement end = (await TryStatsAsync(http).ConfigureAwait(false)) ?? after;
        await stop.CancelAsync().ConfigureAwait(false);
        long[] received = await Task.WhenAll(readers).ConfigureAwait(false);
        foreach (HubConnection hub in hubs)
        {
            await hub.DisposeAsync().ConfigureAwait(false);
        }

        foreach (GrpcChannel channel in channels)
        {
            channel.Dispose();
        }

        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync().ConfigureAwait(false);

        long delivered = received.Sum();
        double cpu = end.GetProperty("cpuMilliseconds").GetDouble() - before.GetProperty("cpuMilliseconds").GetDouble();
        double Fraction(bool slow) => received.Where((_, i) => (i % 10 == 0) == slow).Select(r => (double)r / items).DefaultIfEmpty(0).Average();
        return new Result(
            transport,
            mode,
            n,
            before.GetProperty("gcHeapBytes").GetInt64() / (double)n,
            Math.Max(0, peakHeap - before.GetProperty("gcHeapBytes").GetInt64()) / (double)n,
            delivered == 0 ? double.NaN : cpu * 1000 / delivered,
            Fraction(slow: false),
            Fraction(slow: true));
    }

    private static async Task<long> ReadAsync(IAsyncEnumerable<long> items, bool slow, CancellationToken cancellationToken)
    {
        long count = 0;
        try
        {
            await foreach (long item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                count++;
                if (slow)
                {
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or HubException or IOException)
        {
            // Stopped by the runner.
        }

        return count;
    }

    private static async Task<JsonElement?> TryStatsAsync(HttpClient http)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>(new Uri("/stats?summary=true", UriKind.Relative)).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("the fan-out server did not get there in time");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WriteAsync(List<Result> results, int items, string outDir)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{items:N0} items at {Rate:N0}/s to N connections on loopback, 10 % of them slow (5 ms per item on the client); server in its own process.");
        sb.AppendLine();
        sb.AppendLine("| transport | per connection | connections | server heap per connection, idle (KB) | heap growth per connection under the feed (KB) | server CPU per delivered item (µs) | fast clients delivered | slow clients delivered |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (Result r in results)
        {
            string way = r.Mode == "drop" ? "**DropWhenFull(1024)**" : "unbounded channel";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Transport} | {way} | {r.Connections:N0} | {r.IdleBytesPerConnection / 1024:N1} | {r.GrowthBytesPerConnection / 1024:N1} | {r.CpuMicrosecondsPerItem:N2} | {r.FastFraction:P1} | {r.SlowFraction:P1} |");
        }

        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "fan-out.md"), sb.ToString()).ConfigureAwait(false);

        var plot = new ScottPlot.Plot();
        foreach (var group in results.GroupBy(r => (r.Transport, r.Mode)))
        {
            var line = plot.Add.Scatter(group.Select(r => (double)r.Connections).ToArray(), group.Select(r => r.GrowthBytesPerConnection / 1024).ToArray());
            line.LegendText = $"{group.Key.Transport}, {(group.Key.Mode == "drop" ? "DropWhenFull(1024)" : "unbounded channel")}";
        }

        plot.Title("Server heap growth per connection while the feed runs (10 % slow clients)");
        plot.XLabel("connections");
        plot.YLabel("KB per connection");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(Path.Combine(outDir, "fan-out.png"), 900, 500);
        Console.WriteLine($"wrote {Path.Combine(outDir, "fan-out.md")} and fan-out.png");
    }

    private sealed record Result(string Transport, string Mode, int Connections, double IdleBytesPerConnection, double GrowthBytesPerConnection, double CpuMicrosecondsPerItem, double FastFraction, double SlowFraction)
    {
        public override string ToString() =>
            $"{Transport,-8} {Mode,-10} {Connections,6:N0}: idle {IdleBytesPerConnection / 1024,8:N1} KB/conn, growth {GrowthBytesPerConnection / 1024,8:N1} KB/conn, cpu {CpuMicrosecondsPerItem,7:N2} µs/item, fast {FastFraction,7:P1}, slow {SlowFraction,7:P1}";
    }
}
