using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Fuzz;

/// <summary>What the targets share: a request as the gateway's handlers see it, and the checks on what they answer.</summary>
internal static class GatewayCalls
{
    /// <summary>A POST with this content type and body, as Kestrel hands it to a handler (Content-Length set).</summary>
    public static HttpRequest Post(string contentType, byte[] body)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Post;
        http.Request.ContentType = contentType;
        http.Request.ContentLength = body.Length;
        http.Request.Body = new MemoryStream(body, writable: false);
        return http.Request;
    }

    /// <summary>A refusal must be a 4xx problem that says what is wrong.</summary>
    public static void ExpectClientError(ProblemHttpResult problem, string surface)
    {
        if (problem.StatusCode is < 400 or > 499)
            throw new UnexpectedOutcomeException($"{surface}: answered {problem.StatusCode} ({problem.ProblemDetails.Detail})");
        if (string.IsNullOrWhiteSpace(problem.ProblemDetails.Detail))
            throw new UnexpectedOutcomeException($"{surface}: a {problem.StatusCode} without a detail");
    }

    /// <summary>Exactly one of a value and a problem, and a problem is a client error.</summary>
    public static void ExpectValueOrClientError(object? value, ProblemHttpResult? problem, string surface)
    {
        if ((value is null) == (problem is null))
            throw new UnexpectedOutcomeException($"{surface}: {(value is null ? "neither a value nor a problem" : "both a value and a problem")}");
        if (problem is not null) ExpectClientError(problem, surface);
    }

    /// <summary>The handlers are async; with a body in memory they finish on this thread.</summary>
    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
