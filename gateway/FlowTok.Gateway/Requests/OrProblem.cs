using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Requests;

/// <summary>
/// A value, or the problem (a 4xx/5xx problem+json) to answer instead of it: what every step on a request's path that can
/// refuse it returns (body parsing, validation, model lookup, submission, waiting). Deconstructs as
/// <c>var (value, problem) = ...</c>; a value or a problem converts to it implicitly.
/// </summary>
public readonly record struct OrProblem<T>(T? Value, ProblemHttpResult? Problem)
{
    public static implicit operator OrProblem<T>(T value) => new(value, null);

    public static implicit operator OrProblem<T>(ProblemHttpResult problem) => new(default, problem);
}
