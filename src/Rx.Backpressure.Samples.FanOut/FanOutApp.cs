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
        app.MapGet("/stats", (Streams streams, Feed feed) => Results.Json(new
        {
            produced = feed.Produced,
            observers = feed.Observers,
            streams = streams.All.Select(s => new { s.Id, s.Mode, s.Capacity, s.Sent, s.Finished, received = s.Counters.Received, delivered = s.Counters.Delivered, dropped = s.Counters.Dropped, peak = s.Counters.PeakBuffered }),
        }));
        return app;
    }
}
