using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FlowTok.Cluster.Tests.Processes;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FlowTok.Cluster.Tests;

/// <summary>
/// A node's death as users see it: two silos of two simulated devices each, asynchronous jobs submitted at a steady rate,
/// one silo killed with SIGKILL. Nothing accepted may be lost or run twice for the user, nor keep its tenant's slot once
/// it ended; how many submissions were
/// accepted while the cluster noticed the death is printed (the figure the drill is for: it should stay near 100%).
/// FLOWTOK_DRILL_SECONDS (default 16) sets how long the load runs after the kill; FLOWTOK_DRILL_PROBE_TIMEOUT and
/// FLOWTOK_DRILL_MISSED_PROBES (default 1 s and 2; Orleans' own defaults are 5 s and 3) how quickly the death is noticed.
/// </summary>
[Trait("Tier", "system")] // needs redis-server, rabbitmq-server installed
[Collection(ClusterCollection.Name)]
public sealed class SiloDeathTests(RabbitMqFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1.0 / 6);
    private static readonly TimeSpan BeforeKill = TimeSpan.FromSeconds(4);
    /// <summary>The window after the kill in which the cluster notices it (probes of 1 s, 2 missed) and recovers.</summary>
    private static readonly TimeSpan Noticing = TimeSpan.FromSeconds(10);

    private static TimeSpan AfterKill => TimeSpan.FromSeconds(Setting("FLOWTOK_DRILL_SECONDS", 16));

    private static readonly ClusterSettings Settings = new()
    {
        DevicesPerSilo = 2,
        ProbeTimeout = TimeSpan.FromSeconds(Setting("FLOWTOK_DRILL_PROBE_TIMEOUT", 1)),
        MissedProbesLimit = (int)Setting("FLOWTOK_DRILL_MISSED_PROBES", 2),
    };

    private static double Setting(string variable, double otherwise) =>
        double.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var value) ? value : otherwise;

    [Fact]
    public async Task SubmissionsDuringASilosDeathAreAcceptedAndNoAcceptedJobIsLostOrRunTwice()
    {
        await using var cluster = await TestCluster.StartAsync(fixture.Broker, silos: 2, Settings);
        await using var load = JobLoad.Start(cluster, "death", Interval, idempotencyKeys: true);

        await Task.Delay(BeforeKill);
        var killedAt = load.Elapsed;
        cluster.Silos[0].Kill();
        await Task.Delay(AfterKill);

        await load.StopAndCheckAsync(output);
        var (sent, accepted) = load.Between(killedAt, killedAt + Noticing);
        var (allSent, allAccepted) = load.Between(TimeSpan.Zero, TimeSpan.MaxValue);
        var answers = load.Submissions.Where(s => s.SentAt >= killedAt).Select(s => s.Answered).Order().ToList();
        TimeSpan At(double q) => answers[Math.Min(answers.Count - 1, (int)Math.Ceiling(q * answers.Count) - 1)];
        output.WriteLine($"2 silos x 2 sim devices, async jobs of n=2 at {1 / Interval.TotalSeconds:0}/s, probes {Settings.ProbeTimeout.TotalSeconds:0} s x {Settings.MissedProbesLimit}, silo-1 killed at {killedAt.TotalSeconds:0.0} s: " +
            $"{accepted} of {sent} accepted in the {Noticing.TotalSeconds:0} s after the kill ({100.0 * accepted / Math.Max(1, sent):0.0}%), " +
            $"{allAccepted} of {allSent} in the whole {load.Elapsed.TotalSeconds:0} s run ({100.0 * allAccepted / Math.Max(1, allSent):0.0}%); " +
            $"answers to submissions after the kill p50 {At(0.5).TotalSeconds:0.00} s, p99 {At(0.99).TotalSeconds:0.00} s, max {answers[^1].TotalSeconds:0.00} s");

        // An accepted submission repeated with its Idempotency-Key names the same job, and the tenant was charged for exactly
        // the accepted jobs' images: no submission became two jobs, however often the gateway retried it.
        await load.CheckRepeatsNameTheSameJobAsync();
        var released = await Record.ExceptionAsync(() =>
            ClusterTests.WaitUntilAsync(() => UsageAsync(cluster), u => u.GetProperty("active_jobs").GetInt32() == 0, TimeSpan.FromSeconds(30)));
        Assert.True(released is null, $"the tenant still counts ended jobs as running: {released?.Message}\n{Warnings(cluster)}");
        var usage = await UsageAsync(cluster);
        Assert.True(usage.GetProperty("images_used").GetInt64() == 2L * allAccepted,
            $"{allAccepted} jobs of 2 images accepted, the tenant charged {usage}\n{Warnings(cluster)}");
        // What the platform queue (Redis' admission counter) still holds with every job ended: a submission that died with
        // the silo running it, between reserving and storing its job, keeps its reservation (shown, not yet asserted).
        using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        output.WriteLine($"platform queue items still reserved after all jobs ended: {(long)await redis.GetDatabase().StringGetAsync("flowtok:admission")}");
    }

    private static string Warnings(TestCluster cluster) =>
        string.Join("\n", cluster.Silos.Append(cluster.Gateway).Where(p => !p.HasExited).Select(p => p.LogMatching("warn:")));

    private static async Task<JsonElement> UsageAsync(TestCluster cluster) =>
        (await cluster.Http.GetFromJsonAsync<JsonElement>("/v1/usage")).Clone();
}
