using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FlowTok.Gateway.Requests;

/// <summary>
/// The canonical form of a request (every field that changes the output, in a fixed order, as a JSON array) and its
/// SHA-256: the key of the output cache and what an Idempotency-Key is compared by.
/// </summary>
public static class CanonicalRequest
{
    /// <summary>A request without text noise (the model's own) keeps the form it had before the field existed, so its hash,
    /// default seed and cached outputs stay the same.</summary>
    public static string Generation(string prompt, int count, int size, long? seed, int steps, double guidance, string modelVersion,
        double? textNoise = null) =>
        JsonSerializer.Serialize(textNoise is { } noise
            ? new object?[] { "generation", prompt, count, $"{size}x{size}", seed, steps, guidance, modelVersion, noise }
            : new object?[] { "generation", prompt, count, $"{size}x{size}", seed, steps, guidance, modelVersion });

    /// <summary>A PNG answer keeps the generation's form (its cached outputs stay valid); JPEG and WebP bytes differ by
    /// format and compression, so both join the key.</summary>
    public static string WithOutput(string generation, ImageOutput output) =>
        output.Format == OutputFormat.Png ? generation : $"{generation}|{output.Format.ToString().ToLowerInvariant()}:{output.Compression}";

    public static string Caption(byte[] image, int steps, double guidance, string modelVersion) =>
        JsonSerializer.Serialize(new object?[] { "caption", Convert.ToHexStringLower(SHA256.HashData(image)), steps, guidance, modelVersion });

    public static string Hash(string canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    /// <summary>
    /// The seed used when the request names none: the first 53 bits (exact in a JavaScript number) of the hash of the request
    /// without a seed, so identical requests give identical images and different ones differ.
    /// </summary>
    public static long DefaultSeed(string prompt, int count, int size, int steps, double guidance, string modelVersion, double? textNoise = null)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(Generation(prompt, count, size, null, steps, guidance, modelVersion, textNoise)));
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11);
    }
}
