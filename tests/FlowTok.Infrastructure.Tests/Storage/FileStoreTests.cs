using System.Buffers.Text;
using FlowTok.Infrastructure.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class FileStoreTests(RedisBackend backend)
{
    readonly RedisFileStore files = new(backend.Redis, backend.NewOptions());

    [Fact]
    public async Task OwnerReadsBackTheExactBytes()
    {
        var bytes = Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 10_000);
        var before = DateTimeOffset.UtcNow;

        var id = await files.PutAsync("acme", bytes, "image/png", TimeSpan.FromMinutes(5));
        var file = await files.GetAsync("acme", id);

        Assert.NotNull(file);
        Assert.Equal(id, file.FileId);
        Assert.Equal("acme", file.TenantId);
        Assert.Equal("image/png", file.ContentType);
        Assert.Equal(bytes, file.Bytes);
        Assert.InRange(file.ExpiresAt, before.AddMinutes(5).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(5).AddSeconds(1));
    }

    [Fact]
    public async Task AnotherTenantCannotReadAFile()
    {
        var id = await files.PutAsync("acme", [1, 2, 3], "image/png");

        Assert.Null(await files.GetAsync("globex", id));
        Assert.NotNull(await files.GetAsync("acme", id));
        Assert.Equal("acme", (await files.GetAnyTenantAsync(id))?.TenantId);
    }

    [Fact]
    public async Task ExpiredFileIsGone()
    {
        var id = await files.PutAsync("acme", [1, 2, 3], "image/png", TimeSpan.FromMilliseconds(300));
        Assert.NotNull(await files.GetAsync("acme", id));

        await Task.Delay(TimeSpan.FromMilliseconds(800));

        Assert.Null(await files.GetAsync("acme", id));
        Assert.Null(await files.GetAnyTenantAsync(id));
    }

    [Fact]
    public async Task FileIdsAreUnguessable()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => files.PutAsync("acme", [0], "image/png")));

        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.StartsWith("file-", id);
            Assert.Equal(24, Base64Url.DecodeFromChars(id.AsSpan("file-".Length)).Length);
        });
    }

    [Fact]
    public async Task LargeFileRoundTrips()
    {
        var bytes = new byte[6 * 1024 * 1024];
        Random.Shared.NextBytes(bytes);

        var id = await files.PutAsync("acme", bytes, "application/octet-stream");

        Assert.Equal(bytes, (await files.GetAsync("acme", id))?.Bytes);
    }

    [Fact]
    public async Task RenewingGivesTheOwnersFileAWholeLifetimeAgain()
    {
        var options = backend.NewOptions();
        var files = new RedisFileStore(backend.Redis, options);
        var id = await files.PutAsync("acme", [1, 2, 3], "image/png", TimeSpan.FromSeconds(30));

        Assert.False(await files.RenewAsync("globex", id, TimeSpan.FromMinutes(10)));
        Assert.True((await files.GetAsync("acme", id))!.ExpiresAt < DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(await files.RenewAsync("acme", id, TimeSpan.FromMinutes(10)));
        var renewed = await files.GetAsync("acme", id);
        Assert.InRange(renewed!.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));
        var ttl = await backend.Redis.GetDatabase().KeyTimeToLiveAsync(new FlowTok.Infrastructure.Redis.RedisKeys(options.Value.KeyPrefix).File(id));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.False(await files.RenewAsync("acme", "file-doesnotexist"));
    }

    [Fact]
    public async Task OnlyTheOwnerDeletesAFile()
    {
        var id = await files.PutAsync("acme", [1, 2, 3], "image/png");

        Assert.False(await files.DeleteAsync("globex", id));
        Assert.NotNull(await files.GetAsync("acme", id));
        Assert.True(await files.DeleteAsync("acme", id));
        Assert.Null(await files.GetAnyTenantAsync(id));
        Assert.False(await files.DeleteAsync("acme", id));
    }

    [Fact]
    public async Task UnknownFileReadsAsMissing()
    {
        Assert.Null(await files.GetAsync("acme", "file-doesnotexist"));
        Assert.Null(await files.GetAnyTenantAsync(""));
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class FileStoreOnGarnet(GarnetBackend backend) : FileStoreTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class FileStoreOnRedisServer(RedisServerBackend backend) : FileStoreTests(backend);
