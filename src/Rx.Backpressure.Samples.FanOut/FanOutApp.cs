namespace Rx.Backpressure.Samples.FanOut;

/// <summary>
/// One live feed served to many remote clients over SignalR (hub at <c>/feed</c>) and gRPC (service <c>feed.Feed</c>),
/// each connection through its own bounded operator; <c>GET /stats</c> reports every stream's counters.
/// </summary>
public static class FanOutApp
{
    /// <summary>
    /// Builds the app on loopback: SignalR and <c>/stats</c> over HTTP/1.1 on <paramref name="httpPort"/>, gRPC over
    /// cleartext HTTP/2 on <paramref name="grpcPort"/> (without TLS there is no ALPN to share one port).
    /// </summary>
    /// <param name="httpPort">The HTTP/1.1 port.</param>
    /// <param name="grpcPort">The HTTP/2 port.</param>
    /// <param name="args">Other command-line arguments (logging, configuration).</param>
    /// <returns>The app, not started.</returns>
    public static WebApplication Build(int httpPort, int grpcPort, string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, httpPort, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            k.Listen(System.Net.IPAddress.Loopback, grpcPort, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        });
        builder.Services.AddSingleton<Feed>();
        builder.Services.AddSingleton<Streams>();
        builder.Services.AddSignalR(o => o.EnableDetailedErrors = true);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapHub<FeedHub>("/feed");
        app.MapGrpcService<FeedService>();
        app.MapGet("/stats", (Streams streams, Feed feed, bool? summary) => Results.Json(new
        {
            produced = feed.Produced,
            observers = feed.Observers,
            gcHeapBytes = GC.GetTotalMemory(false),
            workingSetBytes = Environment.WorkingSet,
            cpuMilliseconds = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds,
            streams = summary == true
                ? null
                : streams.All.Select(s => new { s.Id, s.Mode, s.Capacity, s.Sent, s.Finished, received = s.Counters.Received, delivered = s.Counters.Delivered, dropped = s.Counters.Dropped, peak = s.Counters.PeakBuffered }),
        }));

        // For the scale runner: push count items at rate items/s on the producer's own thread.
        app.MapPost("/produce", (Feed feed, int count, double rate) =>
        {
            var producer = new Thread(() =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (long i = 0; i < count; i++)
                {
                    long due = (long)(i / rate * System.Diagnostics.Stopwatch.Frequency);
                    while (clock.ElapsedTicks < due)
                    {
                        Thread.Sleep(0);
                    }

                    feed.Push((int)(feed.Produced % 100));
                }
            })
            { IsBackground = true, Name = "feed producer" };
            producer.Start();
            return Results.Accepted();
        });
        return app;
    }
}
