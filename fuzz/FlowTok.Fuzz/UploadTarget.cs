using FlowTok.Contracts;
using FlowTok.Gateway.Uploads;

namespace FlowTok.Fuzz;

/// <summary>
/// The bytes of an upload, through everything the gateway does with them: the byte-level scan, the bounded Skia decode and
/// the canonical PNG, with the platform's own limits (<see cref="Limits"/>). A refusal is 400 or 413 with a message.
/// </summary>
public sealed class UploadTarget : IFuzzTarget
{
    public string Name => "upload";

    public void Run(byte[] input)
    {
        var check = UploadValidator.Check(input);
        if (!check.IsValid)
        {
            if (check.Status is not (400 or 413) || string.IsNullOrWhiteSpace(check.Error))
                throw new UnexpectedOutcomeException($"upload refused with status {check.Status} and error '{check.Error}'");
            return;
        }
        // Check itself verified that the bytes are a canonical PNG; the upload it came from must have been within the limits.
        if (check.Bytes is null || check.Width is <= 0 or > Limits.MaxUploadSide || check.Height is <= 0 or > Limits.MaxUploadSide
            || (long)check.Width * check.Height > Limits.MaxUploadPixels || check.SourceFormat is null)
            throw new UnexpectedOutcomeException($"upload accepted as {check.Width}x{check.Height} {check.SourceFormat}");
    }
}
