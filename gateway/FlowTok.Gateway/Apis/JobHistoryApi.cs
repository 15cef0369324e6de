using System.ComponentModel;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// <c>GET /v1/jobs</c>: the calling tenant's recent jobs (those submitted through <c>POST /v1/jobs</c>), newest first, each with
/// its settings, so a client can show a history and re-run a job. Only the caller's own jobs: the index is per tenant, and
/// each job's owner is checked again. Jobs expire with <c>Platform:JobRetention</c>; the list forgets them then.
/// </summary>
public static class JobHistoryApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static async Task<Results<Ok<JobListJson>, ProblemHttpResult>> ListJobs([AsParameters] GatewayServices s, [FromServices] IJobHistory history,
        [Description("How many jobs (1-100, default 20).")] int? limit = null,
        [Description("A job id from the previous page (its last_id): the jobs submitted before it.")] string? after = null)
    {
        int count = limit ?? DefaultLimit;
        if (count is < 1 or > MaxLimit) return JobsApi.Field("limit", $"limit must be between 1 and {MaxLimit}");
        if (after is not null && !JobIds.IsWellFormed(after)) return JobsApi.Field("after", "after must be a job id from this list");

        var jobs = new List<JobSnapshot>();
        string? cursor = after;
        bool more = true;
        while (jobs.Count <= count && more)
        {
            var ids = await history.ListAsync(s.Tenant.Id, count + 1 - jobs.Count, cursor);
            if (ids is null) return JobsApi.Field("after", "after must be a job id from this list (it may have expired)");
            more = ids.Count == count + 1 - jobs.Count;
            if (ids.Count == 0) break;
            cursor = ids[^1];
            var found = await Task.WhenAll(ids.Select(id => s.Jobs.Job(id).GetAsync()));
            var gone = ids.Where((_, i) => found[i] is null).ToList();
            await history.RemoveAsync(s.Tenant.Id, gone);
            jobs.AddRange(found.OfType<JobSnapshot>().Where(j => j.TenantId == s.Tenant.Id));
        }
        var page = jobs.Take(count).Select(j => s.ToJson(j) with { Settings = JobSettingsJson.From(j.Spec) }).ToList();
        return TypedResults.Ok(new JobListJson("list", page, page.Count > 0 ? page[0].Id : null, page.Count > 0 ? page[^1].Id : null, jobs.Count > count));
    }
}

/// <summary>A page of <c>GET /v1/jobs</c> in OpenAI's list shape: pass <c>last_id</c> as <c>after</c> for the next page while
/// <c>has_more</c>.</summary>
public sealed record JobListJson(string Object, IReadOnlyList<JobJson> Data, string? FirstId, string? LastId, bool HasMore);
