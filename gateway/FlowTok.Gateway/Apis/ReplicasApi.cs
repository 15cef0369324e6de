using FlowTok.Contracts.Models;
using FlowTok.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// The model replicas serving now (<c>GET /v1/replicas</c>, any tenant's key): per replica its queue and how full its batch
/// is. Platform-wide figures only, like the queue depths on /metrics: nothing of any tenant's work.
/// </summary>
public static class ReplicasApi
{
    public static IEndpointRouteBuilder MapReplicasApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/replicas", ListReplicas).WithTags("Models")
            .WithSummary("The model replicas: queued items, rows in the batch now and the most it holds").ProducesProblem(401);
        return app;
    }

    public static async Task<Ok<ReplicaList>> ListReplicas([FromServices] IModelRegistry registry, [FromServices] IGrainFactory grains)
    {
        var replicas = await registry.ListAsync();
        var rows = await Task.WhenAll(replicas.Select(r => Describe(r, grains)));
        return TypedResults.Ok(new ReplicaList("list", [.. rows.OfType<ReplicaJson>().OrderBy(r => r.Id, StringComparer.Ordinal)]));
    }

    /// <summary>A replica that does not answer (its silo going away) is left out rather than failing the list.</summary>
    private static async Task<ReplicaJson?> Describe(RegisteredModel replica, IGrainFactory grains)
    {
        try
        {
            var stats = await grains.GetGrain<IModelGrain>(replica.GrainKey).GetStatsAsync().WaitAsync(TimeSpan.FromSeconds(2));
            return new ReplicaJson(replica.GrainKey, "replica", replica.Model.Name, replica.Model.Version, stats.QueueDepth, stats.CurrentRows,
                stats.MaxBatchSize, stats.Batches, Math.Round(stats.MeanBatchSize, 3), Math.Round(stats.QueuedDeviceSeconds, 3));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }
}

public sealed record ReplicaList(string Object, IReadOnlyList<ReplicaJson> Data);

/// <summary>One replica ("{silo}/{device}"): its model, items waiting, rows in the device's batch now (<c>batch_rows</c>) of at
/// most <c>max_batch_rows</c>, sampler steps run (<c>batches</c>) and their mean rows, and the device seconds its queued items
/// are expected to cost.</summary>
public sealed record ReplicaJson(string Id, string Object, string Model, string Version, int QueueDepth, int BatchRows, int MaxBatchRows,
    long Batches, double MeanBatchRows, double QueuedDeviceSeconds);
