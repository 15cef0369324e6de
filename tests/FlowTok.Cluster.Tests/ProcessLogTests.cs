using FlowTok.Cluster.Tests.Processes;

namespace FlowTok.Cluster.Tests;

/// <summary>The harness's process log: a component's entries can be pulled out of a tail full of stack traces.</summary>
public sealed class ProcessLogTests : IDisposable
{
    private readonly string path = Path.Combine(Path.GetTempPath(), $"flowtok-process-log-{Guid.NewGuid():N}.log");

    [Fact]
    public void MatchingKeepsEachEntryHeaderWithItsMessageAndSkipsStackFrames()
    {
        using var log = new ProcessLog(path);
        foreach (var line in new[]
        {
            "09:05:24.342 warn: FlowTok.Grains.Jobs.JobGrain[0]",
            "      Queueing the items of job job-1 failed (attempt 1)",
            "         at FlowTok.Silo.Hosting.BrokerWatch.ExecuteAsync()",
            "09:05:31.802 warn: FlowTok.Silo.Hosting.ReceiveEndpoints[0]",
            "      The receive endpoint rabbitmq://x/GenerateImage did not stop cleanly",
            "09:05:32.000 warn: FlowTok.Silo.Hosting.BrokerWatch[0]",
            "      RabbitMQ is back: replacing the receive endpoints",
        }) log.Add(line);

        var lines = log.Matching(": FlowTok.Silo.Hosting.").Split('\n');

        Assert.Equal(
        [
            "09:05:31.802 warn: FlowTok.Silo.Hosting.ReceiveEndpoints[0]",
            "      The receive endpoint rabbitmq://x/GenerateImage did not stop cleanly",
            "09:05:32.000 warn: FlowTok.Silo.Hosting.BrokerWatch[0]",
            "      RabbitMQ is back: replacing the receive endpoints",
        ], lines);
    }

    public void Dispose() => File.Delete(path);
}
