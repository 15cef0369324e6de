using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlowTok.Contracts;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// A JSON body's base64 image, decoded straight from the body's UTF-8 bytes into one array of the image's exact size: no
/// string of the base64 text (twice the body in UTF-16) and no oversized decode buffer. An 11 MB body costs the body and
/// the 8 MB image, not ~100 MB. Holds the bytes, or why they were refused (400 not base64, 413 too large).
/// </summary>
[JsonConverter(typeof(Base64ImageConverter))]
public sealed class Base64Image
{
    /// <summary>Longest base64 text (with a little whitespace) that can hold <see cref="Limits.MaxUploadBytes"/>.</summary>
    public const long MaxBase64Characters = (Limits.MaxUploadBytes + 2L) / 3 * 4 + 8;

    private Base64Image(byte[]? bytes, UploadCheck? refusal) => (Bytes, Refusal) = (bytes, refusal);

    /// <summary>The decoded image; null when refused.</summary>
    public byte[]? Bytes { get; }

    /// <summary>Why the text is not an image's bytes; null when decoded.</summary>
    public UploadCheck? Refusal { get; }

    /// <summary>Decodes base64 text (a data: URL prefix and surrounding or embedded whitespace are accepted).</summary>
    public static Base64Image Decode(ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> text = utf8.Trim(" \t\r\n"u8);
        if (text.Length >= 5 && Ascii.EqualsIgnoreCase(text[..5], "data:"u8) && text.IndexOf((byte)',') is int comma and > 0)
            text = text[(comma + 1)..];
        if (text.IsEmpty) return Refused(400, "image is required (base64)");
        if (text.Length > MaxBase64Characters) return TooLarge();
        if (!Base64.IsValid(text, out int length)) return Refused(400, "image is not valid base64");
        if (length > Limits.MaxUploadBytes) return TooLarge();
        byte[] bytes = new byte[length];
        var status = Base64.DecodeFromUtf8(text, bytes, out _, out int written);
        return status == OperationStatus.Done && written == length ? new(bytes, null) : Refused(400, "image is not valid base64");
    }

    public static Base64Image Decode(string text)
    {
        // Only tests and tools call this; requests are decoded from the body's bytes.
        if (text.Length > MaxBase64Characters * 2) return TooLarge();
        return Decode(Encoding.UTF8.GetBytes(text));
    }

    internal static Base64Image TooLarge() => Refused(413, $"image is larger than {Limits.MaxUploadBytes:N0} bytes");

    internal static Base64Image Refused(int status, string error) => new(null, UploadCheck.Refused(status, error));
}

/// <summary>Reads <see cref="Base64Image"/> from the reader's own bytes; only an escaped string (JSON "\/", "\n") is copied first.</summary>
public sealed class Base64ImageConverter : JsonConverter<Base64Image>
{
    /// <summary>Reads the text of a JSON string into an image.</summary>
    public delegate Base64Image Utf8Decoder(ReadOnlySpan<byte> utf8);

    public override Base64Image Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("image must be a base64 string");
        return ReadUtf8(ref reader, Base64Image.Decode);
    }

    /// <summary>Hands <paramref name="decode"/> the string's UTF-8 text: the reader's own bytes, or an unescaped copy.</summary>
    public static Base64Image ReadUtf8(ref Utf8JsonReader reader, Utf8Decoder decode)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence) return decode(reader.ValueSpan);

        long length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        // An escape is at most 6 bytes ("\u002F") for 1: past this the text cannot be a small enough image.
        if (length > Base64Image.MaxBase64Characters * 6) return Base64Image.TooLarge();
        byte[] unescaped = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            int written = reader.CopyString(unescaped);
            return decode(unescaped.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(unescaped);
        }
    }

    public override void Write(Utf8JsonWriter writer, Base64Image value, JsonSerializerOptions options)
    {
        if (value.Bytes is null) writer.WriteNullValue();
        else writer.WriteBase64StringValue(value.Bytes);
    }
}
