namespace FlowTok.Fuzz;

/// <summary>
/// One hostile-input surface of the gateway. <see cref="Run"/> feeds it one input and returns normally when the gateway
/// accepted it or refused it with a clear client error; anything else escapes as an exception, which the fuzzer counts
/// as a crash.
/// </summary>
public interface IFuzzTarget
{
    string Name { get; }

    void Run(byte[] input);
}

/// <summary>The gateway answered an input in a way it never should: a 5xx, no problem detail, a result that breaks its own
/// contract.</summary>
public sealed class UnexpectedOutcomeException(string message) : Exception(message);

public static class FuzzTargets
{
    public static readonly IReadOnlyList<IFuzzTarget> All = [new UploadTarget(), new JsonBodyTarget(), new MultipartTarget()];

    public static IFuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
