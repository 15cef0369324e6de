using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Tests;

/// <summary>A failed job is shown to its tenant as a stable code and message; text from inside the platform is never shown.</summary>
public class PublicErrorTests
{
    /// <summary>What a job may hold from an older silo or an unexpected path: an exception's text with another tenant's prompt.</summary>
    private static JobSnapshot FailedWithInternalText() => FakeJobGrain.Job(JobStatus.Failed, 5) with
    {
        Error = "item 0: System.InvalidOperationException: CUDA error at /build/torch/csrc/step.cpp:42 in row 7 ('tenant-b secret prompt')",
    };

    [Fact]
    public void AFailedJobsProblemCarriesACodeNotTheInternalText()
    {
        var problem = JobSubmitter.ProblemFor(new DefaultHttpContext(), FailedWithInternalText());

        Problem.HasStatus(500, problem);
        foreach (var internalText in new[] { "secret", "CUDA", "Exception", "/build/" })
            Assert.DoesNotContain(internalText, problem!.ProblemDetails.Detail);
        Assert.Equal("internal_error", problem!.ProblemDetails.Extensions["code"]);
        Assert.Equal("job-01JD0000000000000000000000", problem.ProblemDetails.Extensions["job_id"]);
    }

    [Fact]
    public void AFailedJobsJsonCarriesACodeNotTheInternalText()
    {
        string json = JsonSerializer.Serialize(JobJson.From(FailedWithInternalText(), "https://api.example.com"), GatewayJson.Options);

        foreach (var internalText in new[] { "secret", "CUDA", "Exception", "/build/" })
            Assert.DoesNotContain(internalText, json);
        var parsed = JsonDocument.Parse(json).RootElement;
        Assert.Equal("internal_error", parsed.GetProperty("error_code").GetString());
        Assert.False(string.IsNullOrEmpty(parsed.GetProperty("error").GetString()));
    }

    [Fact]
    public void PublicBaseUrlWinsOverTheAddressOfTheRequest()
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = "https";
        http.Request.Host = new HostString("forwarded.example.com");

        Assert.Equal("https://api.example.com/v2", Links.BaseUrl(http.Request, new GatewayOptions { PublicBaseUrl = "https://api.example.com/v2/" }));
        Assert.Equal("https://forwarded.example.com", Links.BaseUrl(http.Request, new GatewayOptions()));
    }
}
