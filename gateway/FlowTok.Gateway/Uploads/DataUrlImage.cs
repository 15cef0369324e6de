using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// An image given as a URL (OpenAI's <c>image_url</c>): only a base64 <c>data:</c> URL is an image here. The platform
/// fetches nothing, so an http(s) link is refused (400) saying how to send the image instead; the data URL's media type
/// is not trusted (the bytes are scanned like any upload).
/// </summary>
public static class DataUrlImage
{
    public const string Example = "data:image/png;base64,...";

    public static Base64Image Decode(ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> text = utf8.Trim(" \t\r\n"u8);
        if (text.IsEmpty) return Base64Image.Refused(400, $"image_url.url is empty; send the image as a data: URL ({Example})");
        if (StartsWith(text, "data:"u8))
        {
            int comma = text.IndexOf((byte)',');
            if (comma < 0 || !EndsWith(text[..comma], ";base64"u8))
                return Base64Image.Refused(400, $"image_url.url must be a base64 data: URL ({Example})");
            return Base64Image.Decode(text);
        }
        if (StartsWith(text, "http://"u8) || StartsWith(text, "https://"u8))
            return Base64Image.Refused(400, $"image_url.url is a link, and the platform fetches nothing: send the image inline as a data: URL ({Example})");
        return Base64Image.Refused(400, $"image_url.url must be a data: URL ({Example})");
    }

    private static bool StartsWith(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);

    private static bool EndsWith(ReadOnlySpan<byte> text, ReadOnlySpan<byte> suffix) =>
        text.Length >= suffix.Length && Ascii.EqualsIgnoreCase(text[^suffix.Length..], suffix);
}

/// <summary>Reads a data: URL image from the reader's own bytes, like <see cref="Base64ImageConverter"/>.</summary>
public sealed class DataUrlImageConverter : JsonConverter<Base64Image>
{
    public override Base64Image Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("image_url.url must be a string");
        return Base64ImageConverter.ReadUtf8(ref reader, DataUrlImage.Decode);
    }

    public override void Write(Utf8JsonWriter writer, Base64Image value, JsonSerializerOptions options)
    {
        if (value.Bytes is null) writer.WriteNullValue();
        else writer.WriteStringValue($"data:application/octet-stream;base64,{Convert.ToBase64String(value.Bytes)}");
    }
}
