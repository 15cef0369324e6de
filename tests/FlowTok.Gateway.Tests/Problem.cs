using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Tests;

/// <summary>Assertions on problem results.</summary>
internal static class Problem
{
    public static IDictionary<string, string[]> FieldErrors(ProblemHttpResult? problem)
    {
        Assert.NotNull(problem);
        Assert.Equal(400, problem.StatusCode);
        var validation = Assert.IsType<HttpValidationProblemDetails>(problem.ProblemDetails);
        return validation.Errors;
    }

    public static void HasStatus(int status, ProblemHttpResult? problem)
    {
        Assert.NotNull(problem);
        Assert.Equal(status, problem.StatusCode);
        Assert.False(string.IsNullOrEmpty(problem.ProblemDetails.Type));
        Assert.False(string.IsNullOrEmpty(problem.ProblemDetails.Title));
        Assert.False(string.IsNullOrEmpty(problem.ProblemDetails.Detail));
    }
}
