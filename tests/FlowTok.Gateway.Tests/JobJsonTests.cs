using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;

namespace FlowTok.Gateway.Tests;

public class JobJsonTests
{
    private static JsonElement Serialize(JobSnapshot job) =>
        JsonSerializer.SerializeToElement(JobJson.From(job, "https://api.example.com"), GatewayJson.Options);

    [Fact]
    public void RunningGenerationHasTheDocumentedShape()
    {
        var job = FakeJobGrain.Job(JobStatus.Running, 3, stepsDone: 10,
            outputs: new JobOutput { Index = 0, FileId = "file-1", Seed = 7 });
        var json = Serialize(job);

        Assert.Equal(["created_at", "deadline", "error", "error_code", "failures", "finished_at", "id", "n", "object", "priority", "progress", "results", "status", "type"],
            json.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(job.JobId, json.GetProperty("id").GetString());
        Assert.Equal("job", json.GetProperty("object").GetString());
        Assert.Equal("generation", json.GetProperty("type").GetString());
        Assert.Equal("running", json.GetProperty("status").GetString());
        Assert.Equal(1_700_000_000, json.GetProperty("created_at").GetInt64());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("finished_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("error").ValueKind);
        Assert.Equal(2, json.GetProperty("n").GetInt32());
        Assert.Equal("interactive", json.GetProperty("priority").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("deadline").ValueKind);

        var progress = json.GetProperty("progress");
        Assert.Equal(10, progress.GetProperty("steps_done").GetInt32());
        Assert.Equal(40, progress.GetProperty("total_steps").GetInt32());
        Assert.Equal(0.25, progress.GetProperty("fraction").GetDouble());

        var result = Assert.Single(json.GetProperty("results").EnumerateArray().ToList());
        Assert.Equal(["caption", "file_id", "index", "seed", "url"], result.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("file-1", result.GetProperty("file_id").GetString());
        Assert.Equal("https://api.example.com/v1/files/file-1", result.GetProperty("url").GetString());
        Assert.Equal(7, result.GetProperty("seed").GetInt64());
    }

    [Fact]
    public void ResultsAreInIndexOrder()
    {
        var job = FakeJobGrain.Job(JobStatus.Succeeded, 9, stepsDone: 40,
            outputs: [new JobOutput { Index = 1, FileId = "b", Seed = 8 }, new JobOutput { Index = 0, FileId = "a", Seed = 7 }]);
        var results = Serialize(job).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("file_id").GetString());
        Assert.Equal(["a", "b"], results);
    }

    [Fact]
    public void FinishedCaptionCarriesCaptionAndTimes()
    {
        var job = FakeJobGrain.Job(JobStatus.Succeeded, 5, stepsDone: 40, kind: JobKind.Caption,
            outputs: new JobOutput { Index = 0, Caption = "a red circle", Seed = 7 });
        var json = Serialize(job);
        Assert.Equal("caption", json.GetProperty("type").GetString());
        Assert.Equal("succeeded", json.GetProperty("status").GetString());
        Assert.Equal(1, json.GetProperty("n").GetInt32());
        Assert.Equal(1_700_000_030, json.GetProperty("finished_at").GetInt64());
        Assert.Equal(1.0, json.GetProperty("progress").GetProperty("fraction").GetDouble());
        var result = json.GetProperty("results")[0];
        Assert.Equal("a red circle", result.GetProperty("caption").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("url").ValueKind);
    }

    [Fact]
    public void FailedJobCarriesItsItemsCodesAndPublicMessages()
    {
        var job = FakeJobGrain.Job(JobStatus.Failed, 4) with { Failures = new Dictionary<int, string> { [1] = ItemFailures.InvalidInput } };
        var json = Serialize(job);
        Assert.Equal("failed", json.GetProperty("status").GetString());
        Assert.Equal($"item 1: {ItemFailures.Message(ItemFailures.InvalidInput)} (invalid_input)", json.GetProperty("error").GetString());
        Assert.Equal("invalid_input", json.GetProperty("error_code").GetString());
        var failure = Assert.Single(json.GetProperty("failures").EnumerateArray());
        Assert.Equal(1, failure.GetProperty("index").GetInt32());
        Assert.Equal("invalid_input", failure.GetProperty("code").GetString());
        Assert.Equal(ItemFailures.Message(ItemFailures.InvalidInput), failure.GetProperty("message").GetString());
    }

    [Fact]
    public void JobIdsAreJobDashAndTwentySixBase32Characters()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => JobIds.New()).ToList();
        Assert.All(ids, id => Assert.Matches("^job-[0-9A-HJKMNP-TV-Z]{26}$", id));
        Assert.All(ids, id => Assert.True(JobIds.IsWellFormed(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.True(string.CompareOrdinal(JobIds.New(DateTimeOffset.FromUnixTimeSeconds(1)), JobIds.New(DateTimeOffset.FromUnixTimeSeconds(2))) < 0);
        Assert.False(JobIds.IsWellFormed("job-123"));
        Assert.False(JobIds.IsWellFormed("../job-01JD0000000000000000000000"));
        Assert.False(JobIds.IsWellFormed(null));
    }
}
