using System.Text;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Tests;

public class JobWaitingTests
{
    private static readonly Func<JobSnapshot, JobJson> ToJson = j => JobJson.From(j, "http://localhost");

    [Fact]
    public async Task WaitReturnsWhenTheJobFinishesWithoutWakingOnProgress()
    {
        var grain = new FakeJobGrain(
            FakeJobGrain.Job(JobStatus.Running, 2, 10),
            FakeJobGrain.Job(JobStatus.Succeeded, 3, 40));
        var done = await JobSubmitter.WaitAsync(grain, FakeJobGrain.Job(JobStatus.Queued, 1), TimeSpan.FromMinutes(1), TimeProvider.System, default);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Single(grain.Watches); // one long poll: the progress snapshot did not wake it
        Assert.All(grain.Watches, w => Assert.True(w.MaxWait <= JobSubmitter.WatchSlice));
    }

    [Fact]
    public async Task WaitGivesUpAtTheTimeoutWithTheLastSnapshot()
    {
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Running, 2, 10)) { QuietDelay = TimeSpan.FromMilliseconds(20) };
        var last = await JobSubmitter.WaitAsync(grain, FakeJobGrain.Job(JobStatus.Queued, 1), TimeSpan.FromMilliseconds(150), TimeProvider.System, default);
        Assert.Equal(JobStatus.Running, last.Status);
        Assert.Equal(2, last.Version);
    }

    [Theory]
    [InlineData(JobStatus.Succeeded, 0)]
    [InlineData(JobStatus.Failed, 500)]
    [InlineData(JobStatus.Cancelled, 409)]
    [InlineData(JobStatus.Running, 504)]
    [InlineData(JobStatus.Queued, 504)]
    public void OutcomeMapsToStatus(JobStatus status, int expected)
    {
        var http = new DefaultHttpContext();
        var job = FakeJobGrain.Job(status, 1);
        var problem = JobSubmitter.ProblemFor(http, job);
        if (expected == 0)
        {
            Assert.Null(problem);
            return;
        }
        Problem.HasStatus(expected, problem);
        Assert.Equal(job.JobId, problem!.ProblemDetails.Extensions["job_id"]);
        if (expected == 504) Assert.Equal($"/v1/jobs/{job.JobId}", http.Response.Headers.Location.ToString());
    }

    [Theory]
    [InlineData(ItemFailures.DeadlineExceeded, 504)]
    [InlineData(ItemFailures.TimedOut, 504)]
    [InlineData(ItemFailures.InvalidInput, 400)]
    [InlineData(ItemFailures.InputUnavailable, 400)]
    [InlineData(ItemFailures.Unsupported, 501)]
    [InlineData(ItemFailures.Internal, 500)]
    [InlineData("System.Exception: free text", 500)]
    public void AFailedJobsStatusFollowsItsFirstFailuresCode(string code, int expected)
    {
        var job = FakeJobGrain.Job(JobStatus.Failed, 1) with { Failures = new Dictionary<int, string> { [0] = code } };
        var problem = JobSubmitter.ProblemFor(new DefaultHttpContext(), job);
        Problem.HasStatus(expected, problem);
        Assert.Equal(ItemFailures.Normalize(code), problem!.ProblemDetails.Extensions["code"]);
    }

    [Fact]
    public async Task EventsStreamProgressThenTheTerminalEvent()
    {
        var grain = new FakeJobGrain(
            FakeJobGrain.Job(JobStatus.Running, 2, 10),
            FakeJobGrain.Job(JobStatus.Running, 2, 10), // nothing changed within the keep-alive interval
            FakeJobGrain.Job(JobStatus.Succeeded, 3, 40));
        using var body = new MemoryStream();
        await JobEvents.StreamAsync(body, grain, FakeJobGrain.Job(JobStatus.Queued, 1), ToJson, TimeSpan.FromSeconds(15), default);

        string[] frames = Encoding.UTF8.GetString(body.ToArray()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, frames.Length);
        Assert.StartsWith("event: progress\ndata: {\"id\":", frames[0]);
        Assert.Contains("\"status\":\"queued\"", frames[0]);
        Assert.Contains("\"status\":\"running\"", frames[1]);
        Assert.Equal(": keep-alive", frames[2]);
        Assert.StartsWith("event: completed\ndata: ", frames[3]);
        Assert.All(grain.Watches, w => Assert.Equal(TimeSpan.FromSeconds(15), w.MaxWait));
    }

    [Theory]
    [InlineData(JobStatus.Succeeded, "completed")]
    [InlineData(JobStatus.Failed, "failed")]
    [InlineData(JobStatus.Cancelled, "cancelled")]
    public async Task FinishedJobStreamsOneTerminalEvent(JobStatus status, string name)
    {
        var grain = new FakeJobGrain();
        using var body = new MemoryStream();
        await JobEvents.StreamAsync(body, grain, FakeJobGrain.Job(status, 5), ToJson, TimeSpan.FromSeconds(15), default);
        string text = Encoding.UTF8.GetString(body.ToArray());
        Assert.StartsWith($"event: {name}\ndata: ", text);
        Assert.EndsWith("\n\n", text);
        Assert.Single(text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(grain.Watches);
    }

    [Fact]
    public async Task EventsStopWhenTheClientDisconnects()
    {
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Running, 2)) { QuietDelay = TimeSpan.FromSeconds(30) };
        using var disconnect = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        using var body = new MemoryStream();
        var streaming = JobEvents.StreamAsync(body, grain, FakeJobGrain.Job(JobStatus.Queued, 1), ToJson, TimeSpan.FromSeconds(25), disconnect.Token);
        Assert.Same(streaming, await Task.WhenAny(streaming, Task.Delay(TimeSpan.FromSeconds(10))));
        await streaming;
    }
}
