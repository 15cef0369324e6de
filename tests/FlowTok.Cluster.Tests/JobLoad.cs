using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace FlowTok.Cluster.Tests;

/// <summary>One submission of a <see cref="JobLoad"/>: when it was sent (since the load started), how long its answer took,
/// its prompt and Idempotency-Key, and the job id (accepted, 202) or why it was refused.</summary>
internal sealed record JobSubmission(TimeSpan SentAt, TimeSpan Answered, string Prompt, string? Key, string? JobId, string? Refusal);

/// <summary>
/// Asynchronous jobs submitted continuously (one every <c>interval</c>, 100 ms unless told, 2 images each, each with its
/// own Idempotency-Key when asked) while a test breaks something. At the end every accepted job (202) must succeed with its images,
/// and every refused one must have been refused clearly (503 or 429 with Retry-After).
/// </summary>
internal sealed class JobLoad : IAsyncDisposable
{
    private readonly TestCluster cluster;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<JobSubmission> submissions = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Task loop;

    private JobLoad(TestCluster cluster, string name, TimeSpan interval, bool idempotencyKeys)
    {
        this.cluster = cluster;
        loop = Task.Run(async () =>
        {
            var pending = new List<Task>();
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                var due = interval * i;
                if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
                pending.Add(SubmitAsync($"{name} {i}", idempotencyKeys ? $"{name}-{i}-{Guid.NewGuid():N}" : null));
            }
            await Task.WhenAll(pending);
        });
    }

    public static JobLoad Start(TestCluster cluster, string name, TimeSpan? interval = null, bool idempotencyKeys = false) =>
        new(cluster, name, interval ?? TimeSpan.FromMilliseconds(100), idempotencyKeys);

    /// <summary>Time since the load started (the scale of <see cref="JobSubmission.SentAt"/>).</summary>
    public TimeSpan Elapsed => clock.Elapsed;

    public IReadOnlyCollection<JobSubmission> Submissions => submissions;

    private async Task SubmitAsync(string prompt, string? key)
    {
        var sentAt = clock.Elapsed;
        try
        {
            var (status, id, body) = await cluster.SubmitJobAsync(prompt, 2, key);
            bool accepted = status == HttpStatusCode.Accepted;
            submissions.Add(new JobSubmission(sentAt, clock.Elapsed - sentAt, prompt, key, accepted ? id : null, accepted ? null : $"{(int)status} {body}"));
        }
        catch (HttpRequestException e)
        {
            submissions.Add(new JobSubmission(sentAt, clock.Elapsed - sentAt, prompt, key, null, $"no answer: {e.Message}"));
        }
    }

    /// <summary>The submissions sent in [<paramref name="from"/>, <paramref name="to"/>): how many, and how many accepted.</summary>
    public (int Sent, int Accepted) Between(TimeSpan from, TimeSpan to)
    {
        var sent = submissions.Where(s => s.SentAt >= from && s.SentAt < to).ToList();
        return (sent.Count, sent.Count(s => s.JobId is not null));
    }

    public async Task StopAndCheckAsync(ITestOutputHelper output)
    {
        stop.Cancel();
        await loop;
        var accepted = submissions.Where(s => s.JobId is not null).Select(s => s.JobId!).ToList();
        var refused = submissions.Where(s => s.JobId is null).Select(s => s.Refusal!).ToList();
        var waited = Stopwatch.StartNew();
        var jobs = await Task.WhenAll(accepted.Select(id => cluster.WaitForJobAsync(id, TimeSpan.FromMinutes(3))));
        var notSucceeded = jobs.Where(j => j.GetProperty("status").GetString() != "succeeded" || j.GetProperty("results").GetArrayLength() != 2).ToList();
        output.WriteLine($"{accepted.Count} jobs accepted, {refused.Count} refused ({string.Join(" | ", refused.Take(3))}); all ended {waited.Elapsed.TotalSeconds:0.0} s after the load stopped");
        Assert.True(accepted.Count >= 20, $"only {accepted.Count} jobs accepted\n{cluster.LogTails()}");
        Assert.True(notSucceeded.Count == 0, $"{notSucceeded.Count} accepted jobs did not succeed, e.g. {notSucceeded.FirstOrDefault()}\n{cluster.LogTails()}");
        Assert.All(refused, r => Assert.True(r.StartsWith("503", StringComparison.Ordinal) || r.StartsWith("429", StringComparison.Ordinal),
            $"{r}\n{cluster.LogTails()}"));
    }

    /// <summary>Each accepted submission sent again with its Idempotency-Key names the same job (200, not a new one).</summary>
    public async Task CheckRepeatsNameTheSameJobAsync()
    {
        foreach (var s in submissions.Where(s => s.JobId is not null && s.Key is not null))
        {
            var (status, id, body) = await cluster.SubmitJobAsync(s.Prompt, 2, s.Key);
            Assert.True(status == HttpStatusCode.OK && id == s.JobId, $"repeating {s.Key} (job {s.JobId}) answered {(int)status} {id}: {body}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        await loop;
        stop.Dispose();
    }
}
