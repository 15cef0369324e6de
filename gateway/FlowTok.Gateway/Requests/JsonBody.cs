using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Requests;

/// <summary>
/// Reads JSON bodies itself (rather than through parameter binding) so that every failure is a problem document: non-JSON
/// content type 415, too large 413, empty or malformed 400, unknown field or wrong type 400 naming the field.
/// </summary>
public static class JsonBody
{
    public static async Task<OrProblem<T>> ReadAsync<T>(HttpRequest request, long maxBytes, CancellationToken cancellationToken) where T : class =>
        (await ReadSizedAsync<T>(request, maxBytes, cancellationToken)).Body;

    /// <summary>Like <see cref="ReadAsync{T}"/>, with the body's length in bytes (0 when it was not read).</summary>
    public static async Task<(OrProblem<T> Body, long Bytes)> ReadSizedAsync<T>(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
            return (Problems.Create(415, "the body must be JSON (Content-Type: application/json)"), 0);
        if (await ReadBytesAsync(request, maxBytes, cancellationToken) is not { } body) return (TooLarge(maxBytes), 0);
        return (Parse<T>(body.Span), body.Length);
    }

    public static ProblemHttpResult TooLarge(long maxBytes, string what = "the body") =>
        Problems.Create(413, $"{what} is larger than {maxBytes} bytes");

    public static OrProblem<T> Parse<T>(ReadOnlySpan<byte> body) where T : class
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty) return new(null, Problems.BadRequest("the request body is empty"));
        try
        {
            return JsonSerializer.Deserialize<T>(body, GatewayJson.Options) is { } value
                ? new(value, null)
                : new(null, Problems.BadRequest("the body must be a JSON object"));
        }
        catch (JsonException e)
        {
            string field = FieldOf(e.Path);
            if (field.Length == 0) return new(null, Problems.BadRequest("the body is not valid JSON"));
            return new(null, Problems.Validation(new Dictionary<string, string[]> { [field] = [FieldError(e, field)] }));
        }
    }

    /// <summary>The body, or null when it exceeds <paramref name="maxBytes"/> (checked while reading, not only from Content-Length).
    /// With a Content-Length the body is read into one array of its size; a chunked one into a growing buffer.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadBytesAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is long length)
        {
            if (length > maxBytes) return null;
            byte[] exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }
        var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>What a deserialization failure says of <paramref name="field"/>: unknown, or of the wrong type.</summary>
    public static string FieldError(JsonException e, string field) =>
        e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"unknown field '{field}'"
            : $"'{field}' has the wrong type or is malformed";

    /// <summary>"$.guidance_scale" -> "guidance_scale"; "$" or null -> "" (the document itself is broken).</summary>
    public static string FieldOf(string? path) => path is null || path == "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
}
