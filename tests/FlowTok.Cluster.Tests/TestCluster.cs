using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlowTok.Cluster.Tests.Processes;

namespace FlowTok.Cluster.Tests;

/// <summary>How a test cluster is set up: simulated devices (wall time, no CPU) and the platform's bounds.</summary>
public sealed record ClusterSettings
{
    public int DevicesPerSilo { get; init; } = 1;
    public TimeSpan BatchLatency { get; init; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan ItemLatency { get; init; } = TimeSpan.FromMilliseconds(25);
    public int MaxBatchSize { get; init; } = 8;
    public int MaxQueuedItems { get; init; } = 512;
    /// <summary>Failure detection: a killed silo is declared dead after about ProbeTimeout x MissedProbesLimit (Orleans'
    /// defaults are 5 s and 3; these make tests quick).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);
    public int MissedProbesLimit { get; init; } = 2;
}

/// <summary>
/// A cluster of separate processes on loopback, as in production: its own redis-server (AOF), a virtual host on the
/// collection's RabbitMQ broker, N model silos (Cluster:Role Silo, simulated devices) and one gateway (flowtok-gateway,
/// the gateway host: an Orleans client), all with Redis clustering and the RabbitMQ transport.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Key = "cluster-test-key-0123456789abcdef";
    public const string WebhookSigningKey = "cluster-webhook-signing-key-0123456789abcdef";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static int clusters;

    private readonly string vhost;
    private readonly List<PlatformProcess> silos = [];
    private readonly Dictionary<PlatformProcess, Uri> siloAddresses = [];

    private TestCluster(RedisProcess redis, RabbitMqProcess broker, string vhost, ClusterSettings settings)
    {
        Redis = redis;
        Broker = broker;
        this.vhost = vhost;
        Settings = settings;
    }

    public RedisProcess Redis { get; }
    public RabbitMqProcess Broker { get; }
    public ClusterSettings Settings { get; }
    public PlatformProcess Gateway { get; private set; } = null!;
    public Uri GatewayAddress { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IReadOnlyList<PlatformProcess> Silos => silos;

    public static async Task<TestCluster> StartAsync(RabbitMqProcess broker, int silos, ClusterSettings? settings = null)
    {
        var vhost = $"cluster-{Interlocked.Increment(ref clusters)}-{Environment.ProcessId}";
        await broker.AddVirtualHostAsync(vhost);
        var cluster = new TestCluster(await RedisProcess.StartAsync(), broker, vhost, settings ?? new ClusterSettings());
        try
        {
            await Task.WhenAll(Enumerable.Range(1, silos).Select(i => cluster.AddSiloAsync($"silo-{i}")));
            await cluster.StartGatewayAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Settings every process of the cluster shares.</summary>
    private IEnumerable<string> Common() =>
    [
        "--Cluster:Clustering", "Redis",
        "--Redis:ConnectionString", Redis.ConnectionString,
        "--Bus:Transport", "RabbitMQ",
        "--Bus:RabbitMq", Broker.Uri(vhost).ToString(),
        "--Cluster:AdvertisedAddress", "127.0.0.1",
        "--Cluster:ProbeTimeout", Settings.ProbeTimeout.ToString("c", CultureInfo.InvariantCulture),
        "--Cluster:MissedProbesLimit", Settings.MissedProbesLimit.ToString(CultureInfo.InvariantCulture),
        "--Cluster:DrainTimeout", "00:00:30",
        "--Platform:DevelopmentTenant", "false",
        "--Platform:MaxQueuedItems", Settings.MaxQueuedItems.ToString(CultureInfo.InvariantCulture),
        // Counts left held by a fault come back within seconds (the defaults take minutes).
        "--Platform:ReservationSweepPeriod", "00:00:02",
        "--Platform:ReservationSweepGrace", "00:00:10",
        // Webhooks to the test's loopback receiver, retried quickly and resumed within seconds where a job reactivates.
        "--Webhooks:SigningKey", WebhookSigningKey,
        "--Webhooks:AllowPrivateTargets", "true",
        "--Webhooks:FirstRetryDelay", "00:00:00.500",
        "--Webhooks:MaxRetryDelay", "00:00:02",
        "--Webhooks:ReminderPeriod", "00:00:02",
        "--Logging:LogLevel:Default", "Warning",
        // Each item's way (queued by its job, received and finished by a consumer): a job that does not end says where it stopped.
        "--Logging:LogLevel:FlowTok.Grains.Jobs.JobGrain", "Debug",
        "--Logging:LogLevel:FlowTok.Grains.Consumers", "Debug",
        "--Logging:Console:TimestampFormat", "HH:mm:ss.fff ",
    ];

    /// <summary>Starts a model silo named <paramref name="name"/> (with <paramref name="settings"/> last, overriding) and
    /// returns once its replicas are loaded.</summary>
    public async Task<PlatformProcess> AddSiloAsync(string name, IEnumerable<string>? settings = null)
    {
        var http = new Uri($"http://127.0.0.1:{PlatformProcess.FreePort()}");
        var args = Common().Concat(
        [
            "--Cluster:Role", "Silo",
            "--Cluster:SiloName", name,
            "--Cluster:SiloPort", PlatformProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", PlatformProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "--urls", http.ToString(),
            "--Model:MaxBatchSize", Settings.MaxBatchSize.ToString(CultureInfo.InvariantCulture),
            "--Model:Simulated:BatchLatency", Settings.BatchLatency.ToString("c", CultureInfo.InvariantCulture),
            "--Model:Simulated:ItemLatency", Settings.ItemLatency.ToString("c", CultureInfo.InvariantCulture),
        ]).Concat(Enumerable.Range(0, Settings.DevicesPerSilo).SelectMany(d => new[] { $"--Model:Devices:{d}", $"sim:{d}" })).Concat(settings ?? []);
        var silo = await PlatformProcess.StartAsync(name, args, new Uri(http, "/health/ready"), StartTimeout);
        lock (silos)
        {
            silos.Add(silo);
            siloAddresses[silo] = http;
        }
        return silo;
    }

    private async Task StartGatewayAsync()
    {
        GatewayAddress = new Uri($"http://127.0.0.1:{PlatformProcess.FreePort()}");
        var args = Common().Concat(
        [
            "--Cluster:Role", "Gateway",
            "--urls", GatewayAddress.ToString(),
            "--Tenants:0:Id", "cluster-tenant",
            "--Tenants:0:Key", Key,
            "--Tenants:0:RequestsPerMinute", "1000000",
            "--Tenants:0:MaxConcurrentJobs", "100000",
        ]);
        // The gateway runs from its own host, flowtok-gateway (no grains, no libtorch), with the Gateway role's settings.
        Gateway = await PlatformProcess.StartAsync("gateway", args, new Uri(GatewayAddress, "/health/ready"), StartTimeout, PlatformBinary.Gateway);
        Http = new HttpClient { BaseAddress = GatewayAddress, Timeout = TimeSpan.FromMinutes(3) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    /// <summary>Images this silo's replicas produced (its own /metrics), or null when it does not answer.</summary>
    public Task<long?> ItemsProducedAsync(PlatformProcess silo) =>
        CounterAsync(silo, @"flowtok_platform_items_total\{kind=""generation"",outcome=""succeeded""\}");

    /// <summary>Times this silo replaced its receive endpoints after the broker came back (its own /metrics), or null when it does not answer.</summary>
    public Task<long?> EndpointReplacementsAsync(PlatformProcess silo) => CounterAsync(silo, "flowtok_platform_receive_endpoint_replacements_total");

    /// <summary>A counter on this silo's /metrics (a regular expression for the series), 0 when not yet recorded, null
    /// when the silo does not answer.</summary>
    private async Task<long?> CounterAsync(PlatformProcess silo, string series)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(new Uri(siloAddresses[silo], "/metrics"));
            var match = Regex.Match(text, $@"^{series} (\d+)", RegexOptions.Multiline);
            return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>One synchronous generation request: its status, images, latency and job id.</summary>
    public async Task<Generation> GenerateAsync(string prompt, int n = 1, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await Http.PostAsJsonAsync("/v1/images/generations", new { prompt, n }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        int images = 0;
        if (response.StatusCode == HttpStatusCode.OK)
            images = JsonDocument.Parse(body).RootElement.GetProperty("data").GetArrayLength();
        var retryAfter = response.Headers.RetryAfter?.Delta;
        var jobId = response.Headers.TryGetValues("X-Job-Id", out var ids) ? ids.First() : null;
        return new Generation(response.StatusCode, images, elapsed, retryAfter, jobId, body);
    }

    /// <summary>
    /// Waits until what admission holds is back to the truth once every job has ended: no items in the platform queue's
    /// count (Redis), no reservations, and no active job for the tenant (GET /v1/usage). Returns how long that took, or
    /// throws with the counts still held after <paramref name="timeout"/>.
    /// </summary>
    public async Task<TimeSpan> CountsReturnToZeroAsync(TimeSpan timeout)
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var db = redis.GetDatabase();
        var clock = Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < timeout)
        {
            try
            {
                long queued = (long?)await db.StringGetAsync("flowtok:admission") ?? 0;
                long reservations = await db.HashLengthAsync("flowtok:admission:jobs");
                using var usage = await Http.GetAsync("/v1/usage");
                int active = usage.IsSuccessStatusCode ? JsonDocument.Parse(await usage.Content.ReadAsStringAsync()).RootElement.GetProperty("active_jobs").GetInt32() : -1;
                last = $"queued items {queued}, reservations {reservations}, active jobs {active}";
                if (queued == 0 && reservations == 0 && active == 0) return clock.Elapsed;
            }
            catch (Exception e) when (e is HttpRequestException or StackExchange.Redis.RedisException)
            {
                last = e.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the admission counts did not return to zero within {timeout}: {last}\n{LogTails()}");
    }

    /// <summary>Counts <paramref name="items"/> in the platform queue that no job holds (a leak, as before reservations).</summary>
    public async Task CountPhantomItemsAsync(int items)
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var db = redis.GetDatabase();
        await db.StringIncrementAsync("flowtok:admission", items);
        await db.HashIncrementAsync("flowtok:admission:tenants", "phantom", items);
    }


    /// <summary>Submits an asynchronous job, with an Idempotency-Key if given; returns its id (202 new, 200 the job the key
    /// already named) or null with the status when it was refused.</summary>
    public async Task<(HttpStatusCode Status, string? JobId, string Body)> SubmitJobAsync(string prompt, int n, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { type = "generation", prompt, n }) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        string? id = response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK
            ? JsonDocument.Parse(body).RootElement.GetProperty("id").GetString() : null;
        return (response.StatusCode, id, body);
    }

    /// <summary>Polls a job until it ends (riding out transient 503s while the cluster recovers).</summary>
    public async Task<JsonElement> WaitForJobAsync(string jobId, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        string last = "";
        while (deadline.Elapsed < timeout)
        {
            try
            {
                using var response = await Http.GetAsync($"/v1/jobs/{jobId}");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                    if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled") return job;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(250);
        }
        // What every process logged about this job (its queueing attempts, faults naming it), then the tails.
        var mentions = string.Join("\n", silos.Append(Gateway).Where(p => p is not null).Select(p => p.LogMatching(jobId)));
        throw new Xunit.Sdk.XunitException($"job {jobId} did not end in {timeout}; last answer: {last}\n{mentions}\n{LogTails()}");
    }

    public string LogTails() =>
        string.Join("\n", silos.Append(Gateway).Where(p => p is not null).Select(p => p.LogTail(30)));

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Gateway is not null) await Gateway.DisposeAsync();
        foreach (var silo in silos) await silo.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

public sealed record Generation(HttpStatusCode Status, int Images, TimeSpan Elapsed, TimeSpan? RetryAfter, string? JobId, string Body);

/// <summary>The collection's RabbitMQ broker (its start dominates; each cluster gets its own virtual host on it).</summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    public RabbitMqProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await RabbitMqProcess.StartAsync();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
