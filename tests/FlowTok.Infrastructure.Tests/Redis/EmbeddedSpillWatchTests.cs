using System.Diagnostics.Metrics;
using FlowTok.Infrastructure.Observability;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tests.Redis;

public sealed class EmbeddedSpillWatchTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("512k", 512L << 10)]
    [InlineData("256m", 256L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData(" 1t ", 1L << 40)]
    public void SizesReadAsGarnetReadsThem(string text, long bytes) => Assert.Equal(bytes, EmbeddedRedisServer.ParseSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("plenty")]
    [InlineData("-1m")]
    [InlineData("1.5g")]
    [InlineData("99999999999999999t")]
    public void UnreadableSizesAreRefused(string text) => Assert.Throws<FormatException>(() => EmbeddedRedisServer.ParseSize(text));

    [Fact]
    public void AnUnreadableWarningSizeStopsTheStart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1,abortConnect=false", ["Redis:EmbeddedSpillWarningSize"] = "lots",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddFlowTokRedis(configuration).BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisOptions>>().Value);
        Assert.Contains("Redis:EmbeddedSpillWarningSize", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SpillPastTheWarningSizeIsMeasuredAndWarnedOnce()
    {
        // 24 MB of values through 8m of memory: the oldest move to the spill files, past a 4m warning size.
        var options = new RedisOptions { EmbeddedMemorySize = "8m", EmbeddedSpillWarningSize = "4m", EmbeddedSpillCheckInterval = TimeSpan.FromMilliseconds(100) };
        using var endpoint = RedisEndpoint.Resolve(options);
        using var metrics = new PlatformMetrics();
        var log = new CollectingLoggerProvider();
        using var logging = LoggerFactory.Create(b => b.AddProvider(log));
        using var watch = new EmbeddedSpillWatch(endpoint, Options.Create(options), metrics, logging.CreateLogger<EmbeddedSpillWatch>());
        await watch.StartAsync(CancellationToken.None);
        try
        {
            long before = await SpillGaugeWithin(metrics, TimeSpan.FromSeconds(10), bytes => bytes >= 0);
            Assert.InRange(before, 0, 4 << 20);
            Assert.Equal("nothing", log.Text());

            using var client = await ConnectionMultiplexer.ConnectAsync(endpoint.ConnectionString);
            var db = client.GetDatabase();
            var value = new byte[64 * 1024];
            Random.Shared.NextBytes(value);
            for (var batch = 0; batch < 6; batch++)
                await Task.WhenAll(Enumerable.Range(0, 64).Select(i => db.StringSetAsync($"filler:{batch}:{i}", value)));

            long measured = await SpillGaugeWithin(metrics, TimeSpan.FromSeconds(30), bytes => bytes > 4 << 20);
            Assert.True(measured > 4 << 20, $"the gauge read {measured} bytes; the files hold {endpoint.EmbeddedServer!.SpillBytes}");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            string warnings = log.Text();
            Assert.Contains("spill files hold", warnings, StringComparison.Ordinal);
            Assert.Contains("Redis:EmbeddedMemorySize 8m", warnings, StringComparison.Ordinal);
            Assert.Equal(1, warnings.Split("spill files hold").Length - 1);
        }
        finally
        {
            await watch.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task WithAConfiguredRedisNothingIsMeasured()
    {
        var options = new RedisOptions { ConnectionString = "127.0.0.1:1,abortConnect=false", EmbeddedSpillCheckInterval = TimeSpan.FromMilliseconds(50) };
        using var endpoint = RedisEndpoint.Resolve(options);
        using var metrics = new PlatformMetrics();
        using var watch = new EmbeddedSpillWatch(endpoint, Options.Create(options), metrics, Microsoft.Extensions.Logging.Abstractions.NullLogger<EmbeddedSpillWatch>.Instance);
        await watch.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await watch.StopAsync(CancellationToken.None);

        Assert.Null(ReadSpillGauge(metrics));
    }

    /// <summary>Reads the gauge until <paramref name="done"/> holds or the time is up; the last reading (-1: none).</summary>
    static async Task<long> SpillGaugeWithin(PlatformMetrics metrics, TimeSpan limit, Func<long, bool> done)
    {
        long last = -1;
        for (var until = DateTime.UtcNow + limit; DateTime.UtcNow < until; await Task.Delay(50))
            if (ReadSpillGauge(metrics) is { } bytes && done(last = bytes)) break;
        return last;
    }

    static long? ReadSpillGauge(PlatformMetrics metrics)
    {
        long? read = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == metrics.Meter && instrument.Name == "embedded_redis_spill_bytes") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => read = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return read;
    }
}
