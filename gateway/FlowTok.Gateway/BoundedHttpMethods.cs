using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway;

/// <summary>
/// A request method outside HTTP's standard ones ("FOO", random text) becomes <see cref="Other"/> before anything records
/// it, so clients cannot add label values (series) to /metrics by inventing methods. No route accepts such a method, so
/// the answer (404 or 405) is the same either way.
/// </summary>
public static class BoundedHttpMethods
{
    public const string Other = "other";

    static readonly HashSet<string> Standard = new(StringComparer.Ordinal)
    {
        HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete,
        HttpMethods.Patch, HttpMethods.Options, HttpMethods.Trace, HttpMethods.Connect,
    };

    public static string Label(string method) => Standard.Contains(method) ? method : Other;

    public static IApplicationBuilder UseBoundedHttpMethods(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Request.Method = Label(http.Request.Method);
        return next(http);
    });
}
