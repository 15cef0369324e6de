using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway;

/// <summary>Absolute URLs the API hands out: from <see cref="GatewayOptions.PublicBaseUrl"/>, else from the request.</summary>
public static class Links
{
    public static string BaseUrl(HttpRequest request, GatewayOptions options) =>
        (options.PublicBaseUrl ?? $"{request.Scheme}://{request.Host}{request.PathBase}").TrimEnd('/');

    public static string File(string baseUrl, string fileId) => $"{baseUrl}/v1/files/{Uri.EscapeDataString(fileId)}";

    public static string Job(string jobId) => $"/v1/jobs/{jobId}";
}
