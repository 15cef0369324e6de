using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>Downloads of generated images and uploads; another tenant's or an expired file is 404.</summary>
public static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/files").WithTags("Files")
            .MapGet("/{id}", GetFile)
            .WithSummary("Download a file (a generated image or an upload)")
            .Produces(200, contentType: "image/png")
            .ProducesProblem(401).ProducesProblem(404);
        return app;
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetFile(string id, [AsParameters] GatewayServices s)
    {
        var file = await s.Files.GetAsync(s.Tenant.Id, id);
        if (file is null) return Problems.NotFound($"there is no file '{id}' (files expire after a while)");
        int maxAge = (int)Math.Max(0, (file.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds);
        s.Http.Response.Headers.CacheControl = $"private, max-age={maxAge}";
        // A browser must take the stored content type as it is, never guess HTML or script from the bytes.
        s.Http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(file.Bytes, file.ContentType);
    }
}
