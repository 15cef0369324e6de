using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using FlowTok.Gateway.Tests;

// flowtok-upload-attacks --platform PATH/flowtok-platform [--label NAME] [--only NAME,...] [--json FILE]
// For each attack: a fresh platform process (simulated device, one tenant) on a free loopback port, one small valid
// upload to warm it up, then the attack. Peak extra memory = the process's peak RSS during the attack (VmHWM, reset
// through /proc/PID/clear_refs just before) minus its RSS just before.
string? platform = null, label = "run", json = null;
HashSet<string>? only = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--platform": platform = args[++i]; break;
        case "--label": label = args[++i]; break;
        case "--only": only = [.. args[++i].Split(',')]; break;
        case "--json": json = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (platform is null || !File.Exists(platform))
{
    Console.Error.WriteLine("usage: flowtok-upload-attacks --platform PATH/flowtok-platform [--label NAME] [--only NAME,...] [--json FILE]");
    return 2;
}

var attacks = Attacks.All().Where(a => only is null || only.Contains(a.Name)).ToList();
Console.WriteLine($"platform {platform} ({label}), simulated device, {Environment.ProcessorCount} cores; one fresh process per attack");
Console.WriteLine($"| attack | upload | status | seconds | peak extra MB |");
Console.WriteLine($"|---|---:|---:|---:|---:|");
var results = new List<object>();
foreach (var attack in attacks)
{
    var result = await Attacks.RunAsync(platform, attack);
    Console.WriteLine($"| {attack.Name} | {attack.Bytes.Length / 1024.0 / 1024.0:0.00} MB | {result.Status} | {result.Seconds:0.00} | {result.PeakExtraMegabytes:0} |");
    results.Add(new { attack = attack.Name, what = attack.What, upload_bytes = attack.Bytes.Length, status = result.Status, seconds = result.Seconds, peak_extra_mb = result.PeakExtraMegabytes, label });
}
if (json is not null) await File.WriteAllTextAsync(json, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
return 0;

internal sealed record Attack(string Name, string What, byte[] Bytes);

internal sealed record AttackResult(string Status, double Seconds, double PeakExtraMegabytes);

internal static class Attacks
{
    private const string Key = "ftk-upload-bench-0123456789abcdef";

    public static IEnumerable<Attack> All()
    {
        yield return new("valid 64x48 png", "a small gradient PNG (control)", HostileImages.Gradient());
        yield return new("ztxt bomb", "1x1 PNG + zTXt inflating to 1.5 GB", HostileImages.ZtxtBomb(3 * HostileImages.Gigabyte / 2));
        yield return new("iccp bomb", "1x1 PNG + iCCP inflating to 1 GB", HostileImages.IccpBomb(HostileImages.Gigabyte));
        yield return new("exif bomb", "1x1 PNG + eXIf, 4000 entries over one 512 KB blob", HostileImages.ExifBomb());
        yield return new("ztxt under limit", "16x16 PNG + zTXt of 200 KB inflating to 200 MB", HostileImages.Gradient(16, 16, ("zTXt", [.. "Comment"u8, 0, 0, .. HostileImages.ZlibOfZeros(200L << 20)])));
        yield return new("pixel bomb 20000^2", "20000x20000 one-colour PNG (1.2 GB of RGB)", HostileImages.PixelBomb(20_000));
        yield return new("png 4096x3072", "4096x3072 one-colour PNG (the largest PNG accepted after the change)", HostileImages.PngOf(4096, 3072, HostileImages.ZlibOfZeros((3L * 4096 + 1) * 3072)));
        yield return new("png 4096x4096", "4096x4096 one-colour PNG (accepted before, 64 MB of RGBA to decode)", HostileImages.PngOf(4096, 4096, HostileImages.ZlibOfZeros((3L * 4096 + 1) * 4096)));
        yield return new("jpeg 4096x4096", "4096x4096 one-colour baseline JPEG", Jpeg(4096, 4096));
        yield return new("jpeg exif bomb", "32x32 JPEG + 100 APP1 EXIF segments of 4000 overlapping entries", HostileImages.JpegWithExifBomb(Jpeg(32, 32), segments: 100));
        yield return new("jpeg header 60000^2", "JPEG frame header claiming 60000x60000", HostileImages.JpegHeaderClaiming(60_000, 60_000));
        yield return new("gif screen 65535^2", "GIF logical screen 65535x65535, 1x1 frame", HostileImages.GifScreenClaiming(65_535, 65_535));
        byte[] gradient = HostileImages.Gradient(256, 256);
        yield return new("truncated png", "256x256 PNG cut in half", HostileImages.Truncated(gradient));
        yield return new("corrupt png", "64x64 PNG with a damaged zlib stream", HostileImages.CorruptImageData());
    }

    private static byte[] Jpeg(int width, int height)
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(width, height, new(200, 40, 40));
        using var jpeg = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(image, jpeg);
        return jpeg.ToArray();
    }

    public static async Task<AttackResult> RunAsync(string platform, Attack attack)
    {
        int port = FreePort();
        var start = new ProcessStartInfo(platform)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(platform))!,
        };
        foreach (string arg in new[]
        {
            $"--urls=http://127.0.0.1:{port}", $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}",
            "--Cluster:SiloName=upload-bench", "--Model:Devices:0=sim:0", "--Platform:DevelopmentTenant=false",
            "--Tenants:0:Id=bench", $"--Tenants:0:Key={Key}", "--Tenants:0:RequestsPerMinute=100000", "--Logging:LogLevel:Default=Error",
        }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(3) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            for (var deadline = DateTime.UtcNow.AddSeconds(60); ;)
            {
                try
                {
                    if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) break;
                }
                catch (HttpRequestException) { }
                if (DateTime.UtcNow > deadline || process.HasExited) throw new TimeoutException("the platform did not become ready");
                await Task.Delay(200);
            }
            await Post(http, HostileImages.Gradient()); // warm-up: routes, JIT, the decoder's native library

            await Task.Delay(500);
            long before = ReadKilobytes(process.Id, "VmRSS");
            await File.WriteAllTextAsync($"/proc/{process.Id}/clear_refs", "5"); // resets VmHWM to the current RSS
            long started = Stopwatch.GetTimestamp();
            string status;
            try
            {
                var response = await Post(http, attack.Bytes);
                status = $"{(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                status = process.HasExited ? "process died" : $"no answer ({e.GetType().Name})";
            }
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            double peak = process.HasExited ? double.NaN : (ReadKilobytes(process.Id, "VmHWM") - before) / 1024.0;
            return new AttackResult(status, seconds, peak);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, byte[] image)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "image", "upload");
        return http.PostAsync("/v1/images/captions", form);
    }

    private static long ReadKilobytes(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
        throw new InvalidOperationException($"{field} not in /proc/{pid}/status");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
