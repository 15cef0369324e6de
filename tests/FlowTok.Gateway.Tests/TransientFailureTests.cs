using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.ServiceDefaults.Resilience;
using Polly.Timeout;
using StackExchange.Redis;

namespace FlowTok.Gateway.Tests;

public class TransientFailureTests
{
    public static TheoryData<Exception, bool> Failures => new()
    {
        { new SiloUnavailableException("silo S127.0.0.1:11111 is dead"), true },
        { new TimeoutException("Response did not arrive on time in 00:00:30"), true },
        { new RedisConnectionException(ConnectionFailureType.SocketFailure, "no connection"), true },
        { new RedisServerException("LOADING Redis is loading the dataset in memory"), true },
        { new OrleansException("wrapped", new SiloUnavailableException("dead")), true },
        { new OrleansException("Error from storage provider", new InvalidOperationException("failed to read grain state",
            new RedisConnectionException(ConnectionFailureType.SocketFailure, "socket shut down"))), true },
        // What a gateway gets when a grain's state could not be read while Redis was away and the provider's own exception
        // did not travel (CI: StoppingRedisBriefly answered 500).
        { new OrleansException("Error from storage provider RedisGrainStorage.job during ReadStateAsync for grain request/job-1"), true },
        // The last attempt of a TransientRetry that got no answer within its attempt timeout.
        { new TimeoutRejectedException("The operation didn't complete within the allowed timeout of '00:00:05'."), true },
        { new OrleansException("a grain bug"), false },
        { new OperationCanceledException("the client went away"), false },
        { new InvalidOperationException("a bug"), false },
        { new ArgumentException("bad input"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void ClusterAndStoreOutagesAreTransientBugsAreNot(Exception failure, bool transient) =>
        Assert.Equal(transient, TransientFailures.IsTransient(failure));

    [Fact]
    public async Task WaitRidesOutTheJobsSiloDyingAndReturnsTheResultFromItsNextActivation()
    {
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Succeeded, 3, 40))
        {
            Failures = new([new SiloUnavailableException("dead"), new TimeoutException("no answer")]),
        };

        var done = await JobSubmitter.WaitAsync(grain, FakeJobGrain.Job(JobStatus.Queued, 1), TimeSpan.FromMinutes(1), TimeProvider.System, default);

        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(3, grain.Watches.Count);
    }

    [Fact]
    public async Task WaitDoesNotHideABug()
    {
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Succeeded, 3, 40))
        {
            Failures = new([new InvalidOperationException("a bug")]),
        };

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            JobSubmitter.WaitAsync(grain, FakeJobGrain.Job(JobStatus.Queued, 1), TimeSpan.FromMinutes(1), TimeProvider.System, default));
    }

    private static readonly JobSpec Spec = new() { TenantId = "t", Kind = JobKind.Generation, Prompt = "p", Count = 1 };

    /// <summary>Short enough for a test: attempts of 200 ms, retried for 10 s.</summary>
    private static readonly TransientRetry Retry = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeProvider.System);

    [Fact]
    public async Task ASubmissionWhoseAnswerADrainingSiloDroppedIsAskedOnceMore()
    {
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1))
        {
            Failures = new([new TimeoutException("Response did not arrive on time in 00:00:30")]),
        };

        var result = await JobSubmitter.SubmitWithRetryAsync(Retry, grain, Spec, new TenantLimits());

        Assert.Equal(JobStatus.Queued, result.Job!.Status);
        Assert.Equal(2, grain.Submissions);
    }

    [Fact]
    public async Task ASubmissionIsRetriedUntilTheClusterHasNoticedTheDeadSiloAndItsGrainAnswers()
    {
        // The job's (or the tenant's) grain was on the silo that died: every call fails until the membership declares it dead.
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1))
        {
            Failures = new(Enumerable.Range(0, 5).Select(i => new SiloUnavailableException($"silo dead, attempt {i}"))),
        };

        var result = await JobSubmitter.SubmitWithRetryAsync(Retry, grain, Spec, new TenantLimits());

        Assert.Equal(JobStatus.Queued, result.Job!.Status);
        Assert.Equal(6, grain.Submissions);
    }

    [Fact]
    public async Task ASubmissionSentToASiloThatDiedUnansweredIsAbandonedAndMadeAgain()
    {
        var grain = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1)) { Unanswered = 1 };

        var result = await JobSubmitter.SubmitWithRetryAsync(Retry, grain, Spec, new TenantLimits()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobStatus.Queued, result.Job!.Status);
        Assert.Equal(2, grain.Submissions);
    }

    [Fact]
    public async Task ASubmissionIsNotRetriedOnABugNorPastTheRetryWindow()
    {
        var buggy = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1)) { Failures = new([new InvalidOperationException("a bug")]) };
        await Assert.ThrowsAsync<InvalidOperationException>(() => JobSubmitter.SubmitWithRetryAsync(Retry, buggy, Spec, new TenantLimits()));
        Assert.Equal(1, buggy.Submissions);

        var down = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1))
        {
            Failures = new(Enumerable.Range(0, 100).Select(i => new SiloUnavailableException($"still dead, attempt {i}"))),
        };
        var shortWindow = new TransientRetry(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeProvider.System);
        await Assert.ThrowsAsync<SiloUnavailableException>(() => JobSubmitter.SubmitWithRetryAsync(shortWindow, down, Spec, new TenantLimits()));
        // Retried (the first failure is always inside the window), then given up: 4 attempts on time, fewer when a loaded
        // machine stretches the pauses, never the 100 failures on offer.
        Assert.InRange(down.Submissions, 2, 10);
    }

    [Fact]
    public async Task ASubmissionNeverAnsweredFailsAsATransientTimeoutOnceTheWindowHasPassed()
    {
        var silent = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1)) { Unanswered = 100 };
        var shortWindow = new TransientRetry(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeProvider.System);

        var failure = await Assert.ThrowsAsync<TimeoutRejectedException>(
            () => JobSubmitter.SubmitWithRetryAsync(shortWindow, silent, Spec, new TenantLimits()).WaitAsync(TimeSpan.FromSeconds(30)));

        // Answered 503 (transient), not 500; each attempt abandoned after 200 ms, new ones only inside the 1 s window.
        Assert.True(TransientFailures.IsTransient(failure));
        Assert.InRange(silent.Submissions, 2, 10);
    }

    [Fact]
    public async Task TheCallersCancellationEndsTheRetries()
    {
        var down = new FakeJobGrain(FakeJobGrain.Job(JobStatus.Queued, 1))
        {
            Failures = new(Enumerable.Range(0, 1000).Select(i => new SiloUnavailableException($"dead, attempt {i}"))),
        };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => JobSubmitter.SubmitWithRetryAsync(Retry, down, Spec, new TenantLimits(), cancel.Token).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(down.Submissions, 1, 6);
    }
}
