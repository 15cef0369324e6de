using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>Downloads of generated images and uploads, with the API key or a signed link (<see cref="FileLinks"/>); another
/// tenant's or an expired file is 404, a changed link 403, an expired link 410.</summary>
public static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/files").WithTags("Files")
            .MapGet("/{id}", GetFile)
            .WithSummary("Download a file (a generated image or an upload)")
            .Produces(200, contentType: "image/png")
            .ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(410);
        return app;
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetFile(string id, [AsParameters] GatewayServices s)
    {
        string tenantId;
        var query = s.Http.Request.Query;
        if (query.ContainsKey(FileLinks.SignatureParameter))
        {
            var (linked, status) = s.FileLinks.Verify(id, query[FileLinks.TenantParameter], query[FileLinks.ExpiresParameter], query[FileLinks.SignatureParameter]);
            if (linked is null)
                return status == 410
                    ? Problems.Create(410, "this download link has expired; ask the API for a new one", extensions: Code("link_expired"))
                    : Problems.Create(403, "this download link is not valid (it was changed or not made by this platform)", extensions: Code("invalid_link"));
            tenantId = linked;
        }
        else tenantId = s.Tenant.Id;
        var file = await s.Files.GetAsync(tenantId, id);
        if (file is null) return Problems.NotFound($"there is no file '{id}' (files expire after a while)");
        int maxAge = (int)Math.Max(0, (file.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds);
        s.Http.Response.Headers.CacheControl = $"private, max-age={maxAge}";
        // A browser must take the stored content type as it is, never guess HTML or script from the bytes.
        s.Http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(file.Bytes, file.ContentType);
    }

    private static Dictionary<string, object?> Code(string code) => new() { ["code"] = code };
}
