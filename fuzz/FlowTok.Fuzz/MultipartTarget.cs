using FlowTok.Contracts;
using FlowTok.Gateway.Uploads;
using static FlowTok.Fuzz.GatewayCalls;

namespace FlowTok.Fuzz;

/// <summary>
/// A caption request as <c>/v1/images/captions</c> reads it: the input's first line is the Content-Type header (so the
/// boundary is fuzzed too), the rest is the body, normally multipart/form-data with an <c>image</c> file and sampler fields.
/// </summary>
public sealed class MultipartTarget : IFuzzTarget
{
    public string Name => "multipart";

    public void Run(byte[] input)
    {
        int newline = Array.IndexOf(input, (byte)'\n');
        int headerEnd = newline < 0 ? input.Length : newline;
        string contentType = System.Text.Encoding.Latin1.GetString(input, 0, headerEnd).TrimEnd('\r');
        byte[] body = newline < 0 ? [] : input[(newline + 1)..];

        var (caption, problem) = Wait(CaptionInputs.ReadAsync(Post(contentType, body), default));
        ExpectValueOrClientError(caption, problem, "caption request");
        // A body no larger than the upload limit cannot hold an image over it: "larger than ... bytes" would be the wrong
        // error (a 413 for the image's pixels, read from its header, is right whatever the body's size).
        if (problem?.StatusCode == 413 && body.Length <= Limits.MaxUploadBytes
            && problem.ProblemDetails.Detail!.Contains("larger than", StringComparison.Ordinal))
            throw new UnexpectedOutcomeException($"caption request: a {body.Length}-byte body refused as too large ({problem.ProblemDetails.Detail})");
    }
}
