using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Requests;

/// <summary>A parsed body, or the problem to answer instead.</summary>
public sealed record Parsed<T>(T? Value, ProblemHttpResult? Problem) where T : class;

/// <summary>
/// Reads JSON bodies itself (rather than through parameter binding) so that every failure is a problem document: non-JSON
/// content type 415, too large 413, empty or malformed 400, unknown field or wrong type 400 naming the field.
/// </summary>
public static class JsonBody
{
    public static async Task<Parsed<T>> ReadAsync<T>(HttpRequest request, long maxBytes, CancellationToken cancellationToken) where T : class
    {
        if (!request.HasJsonContentType())
            return new(null, Problems.Create(415, "the body must be JSON (Content-Type: application/json)"));
        if (await ReadBytesAsync(request, maxBytes, cancellationToken) is not { } body)
            return new(null, Problems.Create(413, $"the body is larger than {maxBytes} bytes"));
        return Parse<T>(body);
    }

    public static Parsed<T> Parse<T>(ReadOnlySpan<byte> body) where T : class
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
            string message = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"unknown field '{field}'"
                : $"'{field}' has the wrong type or is malformed";
            return new(null, Problems.Validation(new Dictionary<string, string[]> { [field] = [message] }));
        }
    }

    /// <summary>The body, or null when it exceeds <paramref name="maxBytes"/> (checked while reading, not only from Content-Length).</summary>
    public static async Task<byte[]?> ReadBytesAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) return null;
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>"$.guidance_scale" -> "guidance_scale"; "$" or null -> "" (the document itself is broken).</summary>
    private static string FieldOf(string? path) => path is null || path == "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
}
