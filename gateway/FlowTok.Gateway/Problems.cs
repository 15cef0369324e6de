using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FlowTok.Gateway;

/// <summary>Every error the API returns: RFC 7807 problem details with a type, title, status, detail and extra fields where useful.</summary>
public static class Problems
{
    private static readonly Dictionary<int, (string Type, string Title)> Kinds = new()
    {
        [400] = ("https://tools.ietf.org/html/rfc9110#section-15.5.1", "Bad Request"),
        [401] = ("https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"),
        [403] = ("https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"),
        [404] = ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
        [409] = ("https://tools.ietf.org/html/rfc9110#section-15.5.10", "Conflict"),
        [410] = ("https://tools.ietf.org/html/rfc9110#section-15.5.11", "Gone"),
        [413] = ("https://tools.ietf.org/html/rfc9110#section-15.5.14", "Content Too Large"),
        [415] = ("https://tools.ietf.org/html/rfc9110#section-15.5.16", "Unsupported Media Type"),
        [429] = ("https://tools.ietf.org/html/rfc6585#section-4", "Too Many Requests"),
        [500] = ("https://tools.ietf.org/html/rfc9110#section-15.6.1", "Internal Server Error"),
        [503] = ("https://tools.ietf.org/html/rfc9110#section-15.6.4", "Service Unavailable"),
        [504] = ("https://tools.ietf.org/html/rfc9110#section-15.6.5", "Gateway Timeout"),
    };

    public static ProblemHttpResult Create(int status, string detail, string? title = null, IDictionary<string, object?>? extensions = null)
    {
        var kind = Kinds.TryGetValue(status, out var k) ? k : (Type: "about:blank", Title: "Error");
        var problem = new ProblemDetails { Type = kind.Type, Title = title ?? kind.Title, Status = status, Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>()) problem.Extensions[key] = value;
        return TypedResults.Problem(problem);
    }

    /// <summary>400 with an <c>errors</c> map: field -> messages.</summary>
    public static ProblemHttpResult Validation(IReadOnlyDictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>(errors))
        {
            Type = Kinds[400].Type,
            Title = "The request is not valid",
            Status = 400,
            Detail = string.Join("; ", errors.SelectMany(e => e.Value)),
        });

    public static ProblemHttpResult BadRequest(string detail) => Create(400, detail);

    public static ProblemHttpResult NotFound(string detail) => Create(404, detail);

    public static ProblemHttpResult JobNotFound(string jobId) =>
        Create(404, $"there is no job '{jobId}'", extensions: new Dictionary<string, object?> { ["job_id"] = jobId });

    public static ProblemHttpResult Unauthorized(string detail) => Create(401, detail);

    /// <summary>404 for a <c>model</c> that is not served, readable by OpenAI's clients too: <c>code</c> and OpenAI's
    /// <c>error</c> object (<c>message</c>, <c>type</c>, <c>param</c>, <c>code</c>) beside the problem's fields.</summary>
    public static ProblemHttpResult ModelNotFound(string model)
    {
        string detail = $"the model '{model}' does not exist or is not served here; GET /v1/models lists the served ones";
        return Create(404, detail, "Model not found", new Dictionary<string, object?>
        {
            ["code"] = "model_not_found",
            ["error"] = new Dictionary<string, object?> { ["message"] = detail, ["type"] = "invalid_request_error", ["param"] = "model", ["code"] = "model_not_found" },
        });
    }

    public static ProblemHttpResult NoModel(string capability) =>
        Create(503, $"no model serving {capability} is available right now; try again later", "No model available");

    /// <summary>429 with the Retry-After header (whole seconds, at least 1) and <c>retry_after</c> in the body.</summary>
    public static ProblemHttpResult TooManyRequests(HttpContext http, TimeSpan retryAfter, string detail, string? code = null)
    {
        int seconds = RetryAfterSeconds(retryAfter);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var extensions = new Dictionary<string, object?> { ["retry_after"] = seconds };
        if (code is not null) extensions["code"] = code;
        return Create(429, detail, extensions: extensions);
    }

    public static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    /// <summary>
    /// Fills in what problems written by the framework (unknown route 404, wrong method 405, non-JSON body 415 from content-type
    /// matching) lack, and renames the trace id to snake_case like every other field.
    /// </summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.Remove("traceId", out var traceId)) problem.Extensions["trace_id"] = traceId;
        problem.Detail ??= problem.Status switch
        {
            404 => $"there is nothing at {context.HttpContext.Request.Path}",
            405 => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}",
            415 => "the body must be JSON (Content-Type: application/json), or multipart/form-data where documented",
            _ => problem.Title,
        };
    }
}
