using Rx.Backpressure.Samples.LiveFeed;

// dotnet run --project src/Rx.Backpressure.Samples.LiveFeed -- --urls http://127.0.0.1:5080
// then: curl -N --limit-rate 10k 'http://127.0.0.1:5080/feed?mode=drop&capacity=64' and curl http://127.0.0.1:5080/stats
await LiveFeedApp.Build(args).RunAsync();
