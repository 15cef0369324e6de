using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FlowTok.Gateway.Chat;

/// <summary>
/// OpenAI's clients take an error's message, type, param and code from the body's <c>error</c> object (the npm client
/// shows nothing else). The OpenAI-compatible chat route's problems keep the gateway's one error format, RFC 7807
/// problem+json, and carry that object too.
/// </summary>
public static class OpenAiErrors
{
    public static ProblemHttpResult With(ProblemHttpResult problem)
    {
        // A problem made for OpenAI's clients already (model_not_found) keeps its own.
        problem.ProblemDetails.Extensions.TryAdd("error", Of(problem.ProblemDetails));
        return problem;
    }

    public static OpenAiError Of(ProblemDetails problem)
    {
        int status = problem.Status ?? StatusCodes.Status500InternalServerError;
        string type = status switch
        {
            429 => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        string? param = (problem as HttpValidationProblemDetails)?.Errors.Keys.FirstOrDefault();
        string? code = problem.Extensions.TryGetValue("code", out var c) ? c?.ToString() : null;
        return new OpenAiError(problem.Detail ?? problem.Title ?? "error", type, param, code);
    }
}

public sealed record OpenAiError(string Message, string Type, string? Param, string? Code);
