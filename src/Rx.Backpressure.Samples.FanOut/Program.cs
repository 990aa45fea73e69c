using Rx.Backpressure.Samples.FanOut;

// dotnet run --project src/Rx.Backpressure.Samples.FanOut -- --rate 10000
// SignalR hub at http://127.0.0.1:5080/feed, gRPC (cleartext HTTP/2) at http://127.0.0.1:5081, stats at /stats.
// --http-port and --grpc-port choose the ports; --rate 0 starts no producer (POST /produce?count=N&rate=R pushes).
var config = new ConfigurationBuilder().AddCommandLine(args).Build();
int httpPort = int.TryParse(config["http-port"], out int h) ? h : 5080;
int grpcPort = int.TryParse(config["grpc-port"], out int g) ? g : 5081;
WebApplication app = FanOutApp.Build(httpPort, grpcPort, args);
Feed feed = app.Services.GetRequiredService<Feed>();
double rate = double.TryParse(config["rate"], System.Globalization.CultureInfo.InvariantCulture, out double r) ? r : 10_000;
await app.StartAsync();
if (rate > 0)
{
    _ = Task.Run(async () =>
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * rate);
            while (feed.Produced < due)
            {
                feed.Push((int)(feed.Produced % 100));
            }

            await Task.Delay(1);
        }
    });
}

await app.WaitForShutdownAsync();
