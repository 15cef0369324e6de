using System.Net.Http.Headers;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StackExchange.Redis;

namespace FlowTok.Platform.Tests;

/// <summary>What the platform's Redis holds as files (results and uploads), read key by key; and uploads that make big files.</summary>
internal static class StoredFiles
{
    public static async Task<(int Count, long Bytes)> MeasureAsync(IServiceProvider services)
    {
        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        var prefix = services.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix;
        var db = redis.GetDatabase();
        int count = 0;
        long bytes = 0;
        foreach (var endpoint in redis.GetEndPoints())
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: prefix + "file:*"))
            {
                count++;
                bytes += ((byte[]?)await db.HashGetAsync(key, "bytes"))?.Length ?? 0;
            }
        return (count, bytes);
    }

    /// <summary>A PNG of random pixels: it does not compress, so its canonical PNG is about side x side x 3 bytes.</summary>
    public static byte[] NoisePng(int side, int seed)
    {
        var rgb = new byte[side * side * 3];
        new Random(seed).NextBytes(rgb);
        using var image = Image.LoadPixelData<Rgb24>(rgb, side, side);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    public static MultipartFormDataContent Multipart(byte[] image)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", "upload.png");
        return form;
    }
}
