using Rx.Backpressure.Samples.FanOut;

// dotnet run --project src/Rx.Backpressure.Samples.FanOut -- --rate 10000
// SignalR hub at http://127.0.0.1:5080/feed, gRPC (cleartext HTTP/2) at http://127.0.0.1:5081, stats at /stats.
WebApplication app = FanOutApp.Build(5080, 5081, args);
Feed feed = app.Services.GetRequiredService<Feed>();
double rate = double.TryParse(app.Configuration["rate"], System.Globalization.CultureInfo.InvariantCulture, out double r) ? r : 10_000;
await app.StartAsync();
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
await app.WaitForShutdownAsync();
