using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// The web playground: <c>/</c> and its files under <c>/playground/</c>, plain HTML, JavaScript modules and CSS embedded in
/// this assembly (Playground/), so the gateway serves it with nothing fetched at run time. The page itself needs no key
/// (only /v1 is authenticated); it calls the API with the key the person enters, which stays in their browser.
/// </summary>
public static class PlaygroundApi
{
    private static readonly Assembly Assembly = typeof(PlaygroundApi).Assembly;

    /// <summary>Only same-origin scripts and styles; images also from data: (previews) and blob: (an upload being captioned).</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapPlaygroundApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http) => File(http, "index.html")).ExcludeFromDescription();
        app.MapGet("/playground/{name}", (string name, HttpContext http) => File(http, name)).ExcludeFromDescription();
        return app;
    }

    private static Results<FileStreamHttpResult, NotFound> File(HttpContext http, string name)
    {
        // Names are matched against the embedded list, never used as paths.
        if (ContentType(name) is not { } type || Assembly.GetManifestResourceStream("Playground/" + name) is not { } stream) return TypedResults.NotFound();
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Stream(stream, type);
    }

    private static string? ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => null,
    };
}
