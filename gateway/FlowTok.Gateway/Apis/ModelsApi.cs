using FlowTok.Gateway.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>The models the replicas announce, in OpenAI's list shape (<c>GET /v1/models</c>) with what each can do and its size.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/models").WithTags("Models");
        api.MapGet("/", ListModels).WithSummary("The served models (OpenAI-compatible)").ProducesProblem(401);
        api.MapGet("/{id}", GetModel).WithSummary("One served model (OpenAI-compatible)").ProducesProblem(401).ProducesProblem(404);
        return app;
    }

    public static async Task<Ok<ModelList>> ListModels([AsParameters] GatewayServices s) =>
        TypedResults.Ok(new ModelList("list", [.. (await s.Models.ListAsync()).Select(ModelJson.From)]));

    public static async Task<Results<Ok<ModelJson>, ProblemHttpResult>> GetModel(string id, [AsParameters] GatewayServices s) =>
        (await s.Models.ListAsync()).FirstOrDefault(m => m.Id == id) is { } model ? TypedResults.Ok(ModelJson.From(model)) : Problems.ModelNotFound(id);
}

public sealed record ModelList(string Object, IReadOnlyList<ModelJson> Data);

/// <summary>OpenAI's model object (<c>created</c>: when this gateway first saw it announced) plus <c>capabilities</c>
/// ("text-to-image", "image-to-text"), the native <c>size</c>, every supported size and the weights' version.</summary>
public sealed record ModelJson(string Id, string Object, long Created, string OwnedBy, IReadOnlyList<string> Capabilities, string Size,
    IReadOnlyList<string> Sizes, string Version)
{
    public static ModelJson From(ModelListing m) => new(m.Id, "model", m.Created.ToUnixTimeSeconds(), "flowtok", m.Capabilities,
        $"{m.NativeSize}x{m.NativeSize}", [.. m.SupportedSizes.Select(s => $"{s}x{s}")], m.Version);
}
