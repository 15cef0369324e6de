namespace FlowTok.Gateway.Cluster;

/// <summary>
/// Runs an idempotent grain call through a node's death. Each attempt may take at most the attempt timeout: a call sent
/// to a silo that died is abandoned then instead of waiting for Orleans' response timeout. A transient failure is tried
/// again, after pauses growing from 100 ms to 1 s, until the window has passed since the first attempt: long enough for
/// the membership to declare the dead silo and for the grains it held (the job's, the tenant's) to reactivate on the
/// survivors. Only calls that are safe to repeat go through here (a job's submission is idempotent per job id).
/// </summary>
public sealed class TransientRetry(TimeSpan attemptTimeout, TimeSpan window, TimeProvider time)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

    public static TransientRetry From(GatewayOptions options, TimeProvider time) =>
        new(options.GrainCallAttemptTimeout, options.TransientRetryWindow, time);

    public async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        long start = time.GetTimestamp();
        var pause = FirstPause;
        while (true)
        {
            Task<T>? attempt = null;
            try
            {
                attempt = call();
                return await attempt.WaitAsync(attemptTimeout, time, cancellationToken);
            }
            catch (Exception e) when (TransientFailures.IsTransient(e) && time.GetElapsedTime(start) + pause < window)
            {
                // An abandoned attempt may still fail later: observe it so that its failure is not reported as unobserved.
                _ = attempt?.ContinueWith(t => t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                await Task.Delay(pause, time, cancellationToken);
                pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
            }
        }
    }
}
