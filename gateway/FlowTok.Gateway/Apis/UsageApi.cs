using FlowTok.Contracts.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>The calling tenant's use: device seconds, items, queue wait, deadline drops, quota (metered by the replicas, reported every few seconds).</summary>
public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/usage").WithTags("Usage")
            .MapGet("/", GetUsage)
            .WithSummary("The tenant's device seconds, items, queue wait and quota")
            .ProducesProblem(401);
        return app;
    }

    public static async Task<Ok<UsageResponse>> GetUsage([AsParameters] GatewayServices s, [FromServices] IGrainFactory grains)
    {
        var usage = await grains.GetGrain<ITenantGrain>(s.Tenant.Id).GetUsageAsync();
        return TypedResults.Ok(new UsageResponse(s.Tenant.Id, s.Tenant.Weight, usage.DeviceSeconds, usage.ItemsRun, usage.QueueWaitSeconds,
            usage.ItemsRun == 0 ? 0 : usage.QueueWaitSeconds / usage.ItemsRun, usage.DeadlineDrops, usage.ImagesUsed, usage.ImageQuota, usage.ActiveJobs,
            s.Tenant.DeviceSecondsQuota, s.Tenant.DeviceSecondsQuota > 0 ? Math.Max(0, s.Tenant.DeviceSecondsQuota - usage.DeviceSeconds) : null));
    }
}

/// <summary>GET /v1/usage. <see cref="DeviceSecondsQuota"/> is the tenant's device-seconds quota (0 = unlimited) and
/// <see cref="DeviceSecondsRemaining"/> what is left of it (null when unlimited).</summary>
public sealed record UsageResponse(string Tenant, double Weight, double DeviceSeconds, long ItemsRun, double QueueWaitSeconds,
    double MeanQueueWaitSeconds, long DeadlineDrops, long ImagesUsed, long ImageQuota, int ActiveJobs,
    double DeviceSecondsQuota, double? DeviceSecondsRemaining);
