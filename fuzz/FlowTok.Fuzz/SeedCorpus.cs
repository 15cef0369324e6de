using System.IO.Compression;
using System.Text;
using FlowTok.Gateway.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Fuzz;

/// <summary>
/// The seeds the fuzzer starts from, made here (no downloaded files) and small (AFL mutates small inputs best): every
/// supported format, valid and broken, PNG metadata the scan must drop (zTXt, iCCP, tEXt), headers that claim too many
/// pixels; valid and invalid JSON bodies; multipart caption bodies. Deterministic: the same bytes on every run.
/// </summary>
public static class SeedCorpus
{
    private const string Boundary = "fuzzboundary";

    public static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        foreach (var (name, bytes) in Uploads()) yield return ("upload", name, bytes);
        foreach (var (name, bytes) in JsonBodies()) yield return ("json", name, bytes);
        foreach (var (name, bytes) in MultipartBodies()) yield return ("multipart", name, bytes);
    }

    public static IEnumerable<(string Name, byte[] Bytes)> Uploads()
    {
        byte[] png = HostileImages.Gradient(8, 6), jpeg = Jpeg();
        yield return ("rgb.png", png);
        yield return ("palette-trns.png", Encode((i, s) => i.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.Palette })));
        yield return ("grey16-interlaced.png", Encode((i, s) => i.SaveAsPng(s, new PngEncoder
            { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16, InterlaceMethod = PngInterlaceMode.Adam7 })));
        yield return ("rgba.png", Encode((i, s) => i.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.RgbWithAlpha })));
        yield return ("ztxt-iccp-text.png", HostileImages.Gradient(4, 4,
            ("tEXt", [.. "Title"u8, 0, .. "seed"u8]),
            ("zTXt", [.. "Comment"u8, 0, 0, .. Zlib("a compressed comment"u8.ToArray())]),
            ("iCCP", [.. "ICC profile"u8, 0, 0, .. Zlib(new byte[128])])));
        yield return ("truncated.png", HostileImages.Truncated(png));
        yield return ("corrupt-idat.png", HostileImages.PngOf(8, 6, [.. Zlib(new byte[8 * 6 * 3 + 6]).Select((b, i) => i == 3 ? (byte)(b ^ 0x5A) : b)]));
        yield return ("claims-5000x5000.png", HostileImages.PngOf(5000, 5000, Zlib(new byte[16])));
        yield return ("baseline.jpg", jpeg);
        yield return ("exif-comment.jpg", [.. jpeg[..2], 0xFF, 0xE1, 0, 16, .. "Exif"u8, 0, 0, .. "MM\0*\0\0\0\b"u8, 0xFF, 0xFE, 0, 6, .. "note"u8, .. jpeg[2..]]);
        yield return ("truncated.jpg", jpeg[..(jpeg.Length * 2 / 3)]);
        yield return ("claims-8000x8000.jpg", HostileImages.JpegHeaderClaiming(8000, 8000));
        yield return ("frame.gif", Encode((i, s) => i.SaveAsGif(s)));
        yield return ("screen-claims-5000x5000.gif", HostileImages.GifScreenClaiming(5000, 5000));
        yield return ("image.bmp", Encode((i, s) => i.SaveAsBmp(s)));
        yield return ("lossless.webp", Encode((i, s) => i.SaveAsWebp(s, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless })));
        yield return ("lossy.webp", Encode((i, s) => i.SaveAsWebp(s, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 50 })));
        yield return ("not-an-image.txt", "hello, gateway"u8.ToArray());
    }

    public static IEnumerable<(string Name, byte[] Bytes)> JsonBodies()
    {
        string image = Convert.ToBase64String(HostileImages.Gradient(4, 4));
        yield return ("generation.json", Utf8("""{"prompt":"a red circle"}"""));
        yield return ("generation-all-fields.json", Utf8("""
            {"prompt":"a small blue star at the top left","n":2,"size":"64x64","response_format":"url","seed":7,"steps":20,
             "guidance_scale":2.5,"text_noise":1,"model":"flowtok","user":"u1","quality":"standard","style":"vivid"}
            """));
        yield return ("caption.json", Utf8($$"""{"image":"{{image}}","steps":10,"guidance_scale":1.5}"""));
        yield return ("caption-data-url.json", Utf8($$"""{"image":"data:image/png;base64,{{image}}"}"""));
        yield return ("chat.json", Utf8($$$"""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{image}}}"}}]}],"stream":true,"n":1}"""));
        yield return ("chat-link.json", Utf8("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}"""));
        yield return ("job-generation.json", Utf8("""{"type":"generation","prompt":"two cats","n":1,"seed":-1}"""));
        yield return ("job-caption.json", Utf8($$"""{"type":"caption","image":"{{image}}","steps":5}"""));
        yield return ("wrong-type.json", Utf8("""{"prompt":1,"n":"two"}"""));
        yield return ("unknown-field.json", Utf8("""{"promt":"a circle"}"""));
        yield return ("out-of-range.json", Utf8("""{"prompt":" ","n":99,"size":"99999x1","steps":0,"guidance_scale":1e308,"text_noise":-1}"""));
        yield return ("escapes.json", Utf8("""{"prompt":"\ud800\u0000\"\\ caf\u00e9","seed":9223372036854775807}"""));
        yield return ("nested.json", Utf8(new string('[', 70) + new string(']', 70)));
        yield return ("not-an-object.json", Utf8("[1,2,3]"));
        yield return ("broken.json", Utf8("""{"prompt":"a red"""));
        yield return ("empty.json", []);
    }

    public static IEnumerable<(string Name, byte[] Bytes)> MultipartBodies()
    {
        byte[] png = HostileImages.Gradient(4, 4), jpeg = Jpeg();
        yield return ("caption-png.txt", Form(("image", "i.png", "image/png", png), ("steps", null, null, "10"u8.ToArray()),
            ("guidance_scale", null, null, "2.5"u8.ToArray())));
        yield return ("caption-jpeg.txt", Form(("image", "i.jpg", "image/jpeg", jpeg)));
        yield return ("unknown-field.txt", Form(("image", "i.png", "image/png", png), ("prompt", null, null, "x"u8.ToArray())));
        yield return ("bad-steps.txt", Form(("steps", null, null, "ten"u8.ToArray()), ("image", "i.png", null, png)));
        yield return ("no-image.txt", Form(("steps", null, null, "10"u8.ToArray())));
        byte[] form = Form(("image", "i.png", "image/png", png));
        yield return ("truncated.txt", form[..(form.Length - 20)]);
        yield return ("no-boundary.txt", [.. "multipart/form-data\r\n"u8, .. form.AsSpan(form.AsSpan().IndexOf((byte)'\n') + 1)]);
        yield return ("urlencoded.txt", Utf8("application/x-www-form-urlencoded\r\nsteps=10&guidance_scale=2"));
        yield return ("json.txt", Utf8($$"""application/json; charset=utf-8{{"\r\n"}}{"image":"{{Convert.ToBase64String(png)}}"}"""));
        yield return ("text-plain.txt", Utf8("text/plain\r\nhello"));
    }

    /// <summary>The Content-Type line, then a multipart/form-data body of the given parts (file parts have a file name).</summary>
    private static byte[] Form(params (string Name, string? FileName, string? ContentType, byte[] Data)[] parts)
    {
        using var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes($"multipart/form-data; boundary={Boundary}\r\n"));
        foreach (var (name, fileName, contentType, data) in parts)
        {
            string disposition = fileName is null ? $"form-data; name=\"{name}\"" : $"form-data; name=\"{name}\"; filename=\"{fileName}\"";
            body.Write(Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: {disposition}\r\n"));
            if (contentType is not null) body.Write(Encoding.ASCII.GetBytes($"Content-Type: {contentType}\r\n"));
            body.Write("\r\n"u8);
            body.Write(data);
            body.Write("\r\n"u8);
        }
        body.Write(Encoding.ASCII.GetBytes($"--{Boundary}--\r\n"));
        return body.ToArray();
    }

    private static byte[] Jpeg() => Encode((i, s) => i.SaveAsJpeg(s, new JpegEncoder { Quality = 75 }));

    /// <summary>A 12x8 gradient with a transparent corner, encoded by ImageSharp.</summary>
    private static byte[] Encode(Action<Image<Rgba32>, Stream> save)
    {
        using var image = new Image<Rgba32>(12, 8);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                image[x, y] = new Rgba32((byte)(x * 20), (byte)(y * 30), 160, (byte)(x + y < 3 ? 0 : 255));
        using var stream = new MemoryStream();
        save(image, stream);
        return stream.ToArray();
    }

    private static byte[] Zlib(byte[] data)
    {
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(data);
        return z.ToArray();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
