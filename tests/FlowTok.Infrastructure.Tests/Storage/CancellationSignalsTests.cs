using FlowTok.Infrastructure.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class CancellationSignalsTests(RedisBackend backend)
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task CancellationIsBroadcastToOtherMultiplexers()
    {
        var options = backend.NewOptions();
        using var otherProcess = backend.Connect();
        using var here = new RedisCancellationSignals(backend.Redis, options);
        using var there = new RedisCancellationSignals(otherProcess, options);
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        there.Cancelled += jobId => heard.TrySetResult(jobId);

        await here.CancelAsync("job-1");

        Assert.Equal("job-1", await heard.Task.WaitAsync(Patience));
        Assert.True(there.IsCancelledLocally("job-1"));
        Assert.False(there.IsCancelledLocally("job-2"));
    }

    [Fact]
    public async Task ProcessThatMissedTheBroadcastStillSeesTheFlag()
    {
        var options = backend.NewOptions();
        using var here = new RedisCancellationSignals(backend.Redis, options);
        await here.CancelAsync("job-1");

        using var otherProcess = backend.Connect();
        using var late = new RedisCancellationSignals(otherProcess, options);

        Assert.False(late.IsCancelledLocally("job-1"));
        Assert.True(await late.IsCancelledAsync("job-1"));
        Assert.False(await late.IsCancelledAsync("job-2"));
    }

    [Fact]
    public async Task CancelledIsRaisedOncePerJob()
    {
        var options = backend.NewOptions();
        using var signals = new RedisCancellationSignals(backend.Redis, options);
        using var otherProcess = backend.Connect();
        using var other = new RedisCancellationSignals(otherProcess, options);
        var raised = new List<string>();
        signals.Cancelled += jobId => { lock (raised) { raised.Add(jobId); } };
        var echoed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        other.Cancelled += _ => echoed.TrySetResult();

        await signals.CancelAsync("job-1");
        await echoed.Task.WaitAsync(Patience);
        // The broadcast reached the other process, so it has reached this one as well; give its handler a moment.
        await Task.Delay(200);

        Assert.True(signals.IsCancelledLocally("job-1"));
        lock (raised)
        {
            Assert.Equal(["job-1"], raised);
        }
    }

    [Fact]
    public async Task AFailingListenerDoesNotSilenceTheOthers()
    {
        var options = backend.NewOptions();
        using var otherProcess = backend.Connect();
        using var here = new RedisCancellationSignals(backend.Redis, options);
        using var there = new RedisCancellationSignals(otherProcess, options);
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        there.Cancelled += _ => throw new InvalidOperationException("listener bug");
        there.Cancelled += jobId => heard.TrySetResult(jobId);

        await here.CancelAsync("job-1");

        Assert.Equal("job-1", await heard.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task CancellationFlagExpires()
    {
        var options = backend.NewOptions(o => o.CancellationTimeToLive = TimeSpan.FromMilliseconds(300));
        using var signals = new RedisCancellationSignals(backend.Redis, options);

        await signals.CancelAsync("job-1");
        Assert.True(await signals.IsCancelledAsync("job-1"));
        await Task.Delay(TimeSpan.FromMilliseconds(800));

        Assert.False(signals.IsCancelledLocally("job-1"));
        Assert.False(await signals.IsCancelledAsync("job-1"));
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class CancellationSignalsOnGarnet(GarnetBackend backend) : CancellationSignalsTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class CancellationSignalsOnRedisServer(RedisServerBackend backend) : CancellationSignalsTests(backend);
