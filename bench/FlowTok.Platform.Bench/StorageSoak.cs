using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlowTok.Infrastructure.Redis;
using FlowTok.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlowTok.Platform.Bench;

/// <summary>Settings of <see cref="StorageSoak"/>.</summary>
internal sealed record SoakSettings(int Jobs, int Clients, int SampleEvery, TimeSpan Retention, TimeSpan Settle, string RedisMemory,
    string RedisSegment, int RedisCompactionSegments, TimeSpan RedisCompactionInterval);

/// <summary>
/// Soak of bounded storage: many async jobs through real HTTP on the one-machine platform (embedded Redis, in-memory bus, a
/// fast simulated device), short retention (job state, files, caches, idempotency keys), sampling Redis (used memory, key
/// count), the embedded server's spill files on disk, and this process's RSS and managed heap every
/// <see cref="SoakSettings.SampleEvery"/> jobs; then once more after the retention has passed.
/// </summary>
internal sealed class StorageSoak(SoakSettings settings)
{
    private const string Key = "ftk-bench-soak-0123456789abcdef01234";

    /// <summary>Runs the soak; true when its targets held (see the verdict it prints last).</summary>
    public async Task<bool> RunAsync(CancellationToken cancel)
    {
        string retention = settings.Retention.ToString("c", CultureInfo.InvariantCulture);
        string[] args =
        [
            "--urls=http://127.0.0.1:0", $"--Cluster:SiloPort={PlatformTwoTenants.FreePort()}", $"--Cluster:GatewayPort={PlatformTwoTenants.FreePort()}",
            "--Model:Devices:0=sim:0", "--Model:MaxBatchSize=32",
            "--Model:Simulated:StepLatency=00:00:00.0005", "--Model:Simulated:RowStepLatency=00:00:00.00005",
            "--Platform:DevelopmentTenant=false", "--Platform:JobTimeout=00:00:05", "--Platform:JobActivationIdle=00:01:10", $"--Platform:JobRetention={retention}",
            $"--Redis:FileTimeToLive={retention}", $"--Redis:OutputCacheTimeToLive={retention}", $"--Redis:IdempotencyTimeToLive={retention}",
            $"--Redis:CancellationTimeToLive={retention}", $"--Redis:PromptCacheTimeToLive={retention}",
            $"--Redis:EmbeddedMemorySize={settings.RedisMemory}", $"--Redis:EmbeddedSegmentSize={settings.RedisSegment}",
            $"--Redis:EmbeddedCompactionSegments={settings.RedisCompactionSegments}",
            $"--Redis:EmbeddedCompactionInterval={settings.RedisCompactionInterval.ToString("c", CultureInfo.InvariantCulture)}",
            "--Tenants:0:Id=soak", $"--Tenants:0:Key={Key}", "--Tenants:0:RequestsPerMinute=100000000", "--Tenants:0:MaxConcurrentJobs=256",
            "--Logging:LogLevel:Default=Warning",
        ];
        var (app, address) = await PlatformHost.StartAsync(args);
        try
        {
            using var client = PlatformTwoTenants.Client(address, Key);
            for (var ready = DateTime.UtcNow.AddMinutes(1); (await client.GetAsync("/health/ready", cancel)).StatusCode != HttpStatusCode.OK; await Task.Delay(200, cancel))
                if (DateTime.UtcNow > ready) throw new TimeoutException("the platform was not ready within a minute");
            var endpoint = app.Services.GetRequiredService<RedisEndpoint>();
            // INFO needs an admin connection; the platform's own is not one.
            using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint.ConnectionString + ",allowAdmin=true");
            var embedded = endpoint.EmbeddedServer;

            Console.WriteLine($"Storage soak: {settings.Jobs:N0} async generation jobs (2 steps, n=1) over HTTP, {settings.Clients} clients, " +
                $"one-machine platform (embedded Redis, in-memory bus, sim:0 at 0.5 ms/step), retention {retention} (jobs, files, caches, idempotency), " +
                $"embedded Redis memory {settings.RedisMemory} (beyond it records spill to files), compacted beyond {settings.RedisCompactionSegments} segments of {settings.RedisSegment} (checked every {settings.RedisCompactionInterval.TotalSeconds:0} s).");
            Console.WriteLine();
            Console.WriteLine("| jobs done | elapsed s | redis used_memory MB | redis keys | spill files MB | process RSS MB | live managed heap MB (after a full GC) | GC committed MB | JIT-compiled methods | JIT-compiled IL MB | threads | size/fragmentation MB gen0 gen1 gen2 LOH POH | embedded log pages taken/max | embedded log head (MB into the log) |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            var samples = new List<Sample>();
            var clock = Stopwatch.StartNew();
            using var sampling = new SemaphoreSlim(1);
            async Task Record(int done)
            {
                await sampling.WaitAsync(cancel);
                try
                {
                    var sample = await Sample.TakeAsync(redis, embedded, done, clock.Elapsed);
                    samples.Add(sample);
                    Console.WriteLine(sample);
                }
                finally
                {
                    sampling.Release();
                }
            }
            await Record(0);

            int next = 0, done = 0, failed = 0;
            async Task Worker()
            {
                while (Interlocked.Increment(ref next) is var i && i <= settings.Jobs)
                {
                    if (!await RunJobAsync(client, i, cancel)) Interlocked.Increment(ref failed);
                    int finished = Interlocked.Increment(ref done);
                    if (finished % settings.SampleEvery == 0) await Record(finished);
                }
            }
            await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Worker()));
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine();
            Console.WriteLine($"{settings.Jobs:N0} jobs in {seconds:F0} s ({settings.Jobs / seconds:F0} jobs/s), {failed} not succeeded. " +
                $"Waiting {settings.Settle.TotalSeconds:F0} s for the retention to pass...");
            await Task.Delay(settings.Settle, cancel);
            await Record(done);

            // Warm once memory is at its working level, not while it still fills by design:
            // - the first jobs' state and activations could have gone: the retention (at least the job timeout + 1 min, 65 s
            //   here), the activations' idle time (70 s) and one Orleans collection period (1 min);
            // - the embedded server's log has turned over one compaction window (its head, the start of what it keeps in
            //   memory, has moved that far into the log): until then it takes its pages as its tail first reaches them, and its
            //   first evictions take new pages and I/O buffers (a step of ~30-50 MB at ~29,000 jobs, docs/OPERATIONS.md).
            //   A server that reports no head (Redis) has no such phase.
            var warmAfter = TimeSpan.FromSeconds(Math.Max(65, settings.Retention.TotalSeconds) + 70 + 60);
            long window = settings.RedisCompactionSegments * EmbeddedRedisServer.ParseSize(settings.RedisSegment);
            var running = samples.Take(samples.Count - 1).ToList();
            var warm = running.FirstOrDefault(s => s.Elapsed >= warmAfter && (s.HeadAddress < 0 || s.HeadAddress >= window));
            var end = samples[^2];
            Console.WriteLine();
            bool warmed = true;
            if (warm is null || warm == end)
            {
                warmed = false;
                warm = samples.First(s => s.Jobs >= settings.SampleEvery);
                Console.WriteLine($"The jobs ended before the warm-up ({warmAfter.TotalSeconds:F0} s and the embedded log's head {window / 1e6:F1} MB into it): " +
                    "the RSS figure below is from the first samples, while state, activations and the store still fill; run more --soak jobs for the steady state.");
            }
            double rssMax = running.Where(s => s.Jobs >= warm.Jobs).Max(s => s.RssMb);
            double redisMax = samples.Max(s => s.RedisMb), spillMax = samples.Max(s => s.SpillMb);
            var retentionWarm = running.FirstOrDefault(s => s.Elapsed >= warmAfter);
            if (retentionWarm is not null && retentionWarm != warm)
                Console.WriteLine($"RSS from the retention alone ({retentionWarm.Jobs:N0} jobs, {retentionWarm.Elapsed.TotalSeconds:F0} s, before the log turned over) to the end: " +
                    $"{retentionWarm.RssMb:F0} -> {end.RssMb:F0} MB ({Growth(retentionWarm.RssMb, end.RssMb)}).");
            Console.WriteLine($"RSS from {warm.Jobs:N0} jobs ({warm.Elapsed.TotalSeconds:F0} s, warm) to {end.Jobs:N0} ({end.Jobs - warm.Jobs:N0} jobs after the warm-up): {warm.RssMb:F0} -> {end.RssMb:F0} MB ({Growth(warm.RssMb, end.RssMb)}), " +
                $"at most {rssMax:F0} MB ({Growth(warm.RssMb, rssMax)}); " +
                $"max Redis keys counted {samples.Max(s => s.Keys):N0}, max used_memory {redisMax:F1} MB, max spill {spillMax:F1} MB; " +
                $"after the retention: {(samples[^1].Keys < 0 ? "n/a" : samples[^1].Keys.ToString("N0", CultureInfo.InvariantCulture))} keys, {samples[^1].RedisMb:F1} MB.");
            // The embedded server's log takes its pages (pinned arrays) as its tail first reaches them and again as it evicts to
            // its files (its head address moves), and its index adds overflow buckets: RSS is also given beside that pinned part.
            Console.WriteLine($"Of that, the pinned heap (mostly the embedded server's log pages and index buckets, taken anew as its log evicts to its files; also the socket buffer pools): {warm.PinnedMb:F0} -> {end.PinnedMb:F0} MB; " +
                $"RSS beside it {warm.RssMb - warm.PinnedMb:F0} -> {end.RssMb - end.PinnedMb:F0} MB ({Growth(warm.RssMb - warm.PinnedMb, end.RssMb - end.PinnedMb)}).");
            var half = running.First(s => s.Jobs >= end.Jobs / 2);
            Console.WriteLine($"RSS over the second half of the jobs ({half.Jobs:N0} to {end.Jobs:N0}, {half.Elapsed.TotalSeconds:F0} to {end.Elapsed.TotalSeconds:F0} s): " +
                $"{half.RssMb:F0} -> {end.RssMb:F0} MB ({Growth(half.RssMb, end.RssMb)}).");
            Console.WriteLine($"From the warm sample to the end: live heap {warm.HeapMb:F0} -> {end.HeapMb:F0} MB, GC committed {warm.GcCommittedMb:F0} -> {end.GcCommittedMb:F0} MB, " +
                $"JIT-compiled methods {warm.JitMethods:N0} -> {end.JitMethods:N0} ({end.JitIlMb - warm.JitIlMb:+0.0;-0.0} MB of IL), threads {warm.Threads} -> {end.Threads}.");

            // The targets (docs/OPERATIONS.md, Storage soak): every job succeeded; at least 10,000 jobs after the warm-up; RSS
            // at every sample after it under +5 % of the warm sample's; spill files within the live data beyond memory plus
            // two compaction windows (the store's peak between samples can be above the sampled one).
            double spillBound = Math.Max(0, redisMax - EmbeddedRedisServer.ParseSize(settings.RedisMemory) / 1e6) + 2 * window / 1e6;
            (string Target, bool Held)[] verdict =
            [
                ($"every job succeeded ({failed} not)", failed == 0),
                ($"at least 10,000 jobs after the warm-up ({(warmed ? end.Jobs - warm.Jobs : 0):N0})", warmed && end.Jobs - warm.Jobs >= 10_000),
                ($"RSS after the warm-up under +5 % ({Growth(warm.RssMb, rssMax)} at most)", rssMax < warm.RssMb * 1.05),
                ($"spill files within {spillBound:F1} MB ({spillMax:F1} at most)", embedded is null || spillMax <= spillBound),
            ];
            Console.WriteLine();
            foreach (var (what, held) in verdict) Console.WriteLine($"{(held ? "held  " : "MISSED")} {what}");
            return verdict.All(v => v.Held);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Submits job <paramref name="i"/> and polls it to its end; true when it succeeded.</summary>
    private static async Task<bool> RunJobAsync(HttpClient client, int i, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = JsonContent.Create(new { type = "generation", prompt = $"soak prompt {i % 64}", steps = 2, seed = i }),
        };
        request.Headers.Add("Idempotency-Key", $"soak-{i}");
        using var submitted = await client.SendAsync(request, cancel);
        if (submitted.StatusCode != HttpStatusCode.Accepted) return false;
        string id = (await submitted.Content.ReadFromJsonAsync<JsonElement>(cancel)).GetProperty("id").GetString()!;
        while (true)
        {
            await Task.Delay(20, cancel);
            var job = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}", cancel);
            switch (job.GetProperty("status").GetString())
            {
                case "succeeded": return true;
                case "failed" or "cancelled": return false;
            }
        }
    }

    private static string Growth(double from, double to) => $"{(to / from - 1) * 100:+0.0;-0.0;0.0}%";

    private sealed record Sample(int Jobs, TimeSpan Elapsed, double RedisMb, long Keys, double SpillMb, double RssMb, double HeapMb,
        double GcCommittedMb, long JitMethods, double JitIlMb, int Threads, string Generations, double PinnedMb, long LogPages, long MaxLogPages,
        long HeadAddress)
    {
        public static async Task<Sample> TakeAsync(IConnectionMultiplexer redis, EmbeddedRedisServer? embedded, int jobs, TimeSpan elapsed)
        {
            var server = redis.GetServer(redis.GetEndPoints()[0]);
            var info = await server.InfoAsync("memory");
            // Redis says used_memory; Garnet (the embedded server) total_main_store_size (its log in memory, index and heap).
            var fields = info.SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
            // Garnet's log takes its pages (pinned arrays of the page size) as its tail reaches them and again as it evicts to its
            // files (its head address moves). Redis has no such section (-1: not reported).
            var store = (await server.InfoAsync("store")).SelectMany(g => g).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value);
            long StoreField(string name) => long.TryParse(store.GetValueOrDefault(name), CultureInfo.InvariantCulture, out long n) ? n : -1;
            double used = (fields.GetValueOrDefault("used_memory") ?? fields.GetValueOrDefault("total_main_store_size")) is { } v
                ? double.Parse(v, CultureInfo.InvariantCulture) / 1e6 : double.NaN;
            double spillMb = (embedded?.SpillBytes ?? 0) / 1e6;
            // DBSIZE scans the store: on the embedded Garnet (2.2.12) with records on disk and compaction running it hung
            // the command and then stalled the server, so keys are counted only while nothing has spilled (-1: not counted).
            long keys = spillMb == 0 ? await server.DatabaseSizeAsync() : -1;
            // Live managed memory, not the garbage a lazy collector has not reclaimed yet (workstation GC lets the heap, and
            // with it RSS, grow for a while before a full collection).
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            // Where RSS beside the live heap goes: memory the GC holds committed, and code the JIT keeps compiling (tiered
            // compilation recompiles methods hot enough, late for those that run only on timers).
            double heap = GC.GetTotalMemory(true) / 1e6;
            var gc = GC.GetGCMemoryInfo();
            // The pinned object heap (GenerationInfo[4]) is where the embedded server keeps its log pages and index buckets.
            return new Sample(jobs, elapsed, used, keys, spillMb, process.WorkingSet64 / 1e6, heap,
                gc.TotalCommittedBytes / 1e6, System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompiledILBytes() / 1e6,
                process.Threads.Count, DescribeGenerations(gc), gc.GenerationInfo[4].SizeAfterBytes / 1e6,
                StoreField("Log.AllocatedPageCount"), StoreField("Log.MaxPageCount"), StoreField("Log.HeadAddress"));
        }

        /// <summary>Size / fragmentation after the last collection of gen0, gen1, gen2, LOH and POH, MB.</summary>
        private static string DescribeGenerations(GCMemoryInfo info) =>
            string.Join(" ", info.GenerationInfo.ToArray().Select(g => $"{g.SizeAfterBytes / 1e6:F0}/{g.FragmentationAfterBytes / 1e6:F0}"));

        public override string ToString() =>
            $"| {Jobs:N0} | {Elapsed.TotalSeconds:F0} | {RedisMb:F1} | {(Keys < 0 ? "n/a" : Keys.ToString("N0", CultureInfo.InvariantCulture))} | {SpillMb:F1} | {RssMb:F0} | {HeapMb:F0} | {GcCommittedMb:F0} | {JitMethods:N0} | {JitIlMb:F1} | {Threads} | {Generations} | {(MaxLogPages < 0 ? "n/a" : $"{LogPages}/{MaxLogPages}")} | {(HeadAddress < 0 ? "n/a" : $"{HeadAddress / 1e6:F1}")} |";
    }
}
