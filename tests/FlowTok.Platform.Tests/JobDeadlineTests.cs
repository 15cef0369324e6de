using System.Net;

namespace FlowTok.Platform.Tests;

/// <summary>
/// A job whose items never come back fails at its deadline with the reason instead of staying "running" forever.
/// Its own host: a simulated device that needs a minute per batch, and a 2-second job timeout.
/// </summary>
public sealed class JobDeadlineTests
{
    [Fact]
    public async Task AJobThatNeverFinishesFailsAtItsDeadline()
    {
        await using var platform = await SimulatedPlatform.StartAsync("deadline",
            ["--Model:Simulated:BatchLatency=00:01:00", "--Model:Simulated:ItemLatency=00:00:00", "--Platform:JobTimeout=00:00:02"]);
        var job = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 60 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;

        var done = await JobTests.WaitForEnd(platform.Client, id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("timed out", done.GetProperty("error").GetString());
    }
}
