using System.Text;

namespace Rx.Backpressure.Samples.LiveFeed;

/// <summary>
/// A minimal API that streams the live feed to HTTP clients through <c>DropWhenFull</c> or <c>SampleWhenFull</c>.
/// A slow client's TCP window fills, Kestrel's writes wait, the consumer slows, and the operator sheds load at its
/// bound instead of buffering the surge.
/// </summary>
public static class LiveFeedApp
{
    private static int _nextId;

    /// <summary>Builds the app. <c>GET /feed?mode=drop|sample&amp;capacity=N</c> streams lines; <c>GET /stats</c> reports every stream's counters.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddSingleton<LiveFeed>();
        var app = builder.Build();

        app.MapGet("/feed", async (HttpContext http, LiveFeed feed, string? mode, int? capacity) =>
        {
            int bound = capacity ?? 64;
            if (bound < 0)
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            string chosen = mode == "sample" ? "sample" : "drop";
            var stats = new StreamStats(Interlocked.Increment(ref _nextId), chosen, bound, new BackpressureCounters());
            feed.Streams[stats.Id] = stats;
            IAsyncEnumerable<long> ticks = chosen == "sample"
                ? feed.Ticks.SampleWhenFull(bound, counters: stats.Counters, name: "live-feed")
                : feed.Ticks.DropWhenFull(bound, counters: stats.Counters, name: "live-feed");

            http.Response.ContentType = "text/plain; charset=utf-8";
            http.Response.Headers["X-Stream-Id"] = stats.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await http.Response.StartAsync(http.RequestAborted);
            byte[] line = new byte[32];
            try
            {
                await foreach (long tick in ticks.WithCancellation(http.RequestAborted))
                {
                    int length = Encoding.ASCII.GetBytes($"{tick}\n", line);
                    await http.Response.Body.WriteAsync(line.AsMemory(0, length), http.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The client went away.
            }
            finally
            {
                stats.Finished = true;
            }
        });

        app.MapGet("/stats", (LiveFeed feed) => Results.Json(feed.Streams.Values.OrderBy(s => s.Id).Select(s => s.Snapshot())));
        return app;
    }
}
