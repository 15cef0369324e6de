using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace FlowTok.ServiceDefaults.Resilience;

/// <summary>
/// Runs an idempotent grain call through a node's death, as a Polly pipeline: each attempt may take at most the attempt
/// timeout (a call sent to a silo that died is abandoned then instead of waiting for Orleans' response timeout); a transient
/// failure (<see cref="TransientFailures.IsTransient"/>) is tried again after pauses growing from 100 ms to 1 s, as long as
/// the next attempt starts within the window since the first: long enough for the membership to declare the dead silo and
/// for the grains it held (the job's, the tenant's) to reactivate on the survivors. Only calls that are safe to repeat go
/// through here (a job's submission is idempotent per job id).
/// </summary>
public sealed class TransientRetry
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);
    private static readonly ResiliencePropertyKey<long> Started = new("flowtok.retry.started");

    private readonly ResiliencePipeline pipeline;
    private readonly TimeProvider time;

    public TransientRetry(TimeSpan attemptTimeout, TimeSpan window, TimeProvider time)
    {
        this.time = time;
        pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Pause(args.AttemptNumber)),
                // Another attempt only for a transient failure, and only if it would start inside the window.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && TransientFailures.IsTransient(e)
                    && time.GetElapsedTime(args.Context.Properties.GetValue(Started, time.GetTimestamp())) + Pause(args.AttemptNumber) < window),
            })
            .AddTimeout(attemptTimeout)
            .Build();
    }

    /// <summary>The pause before retry <paramref name="attempt"/> + 1 (0: after the first attempt): 100, 200, 400, 800 ms, then 1 s.</summary>
    public static TimeSpan Pause(int attempt) =>
        attempt >= 4 ? LongestPause : TimeSpan.FromTicks(Math.Min(FirstPause.Ticks << attempt, LongestPause.Ticks));

    public async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(Started, time.GetTimestamp());
        try
        {
            return await pipeline.ExecuteAsync(static async (context, call) =>
            {
                var attempt = call();
                try
                {
                    // Grain calls take no token: the attempt timeout abandons the wait, not the call.
                    return await attempt.WaitAsync(context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // An abandoned attempt may still fail later: observe it so that its failure is not reported as unobserved.
                    _ = attempt.ContinueWith(t => t.Exception, CancellationToken.None,
                        TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    throw;
                }
            }, context, call);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
