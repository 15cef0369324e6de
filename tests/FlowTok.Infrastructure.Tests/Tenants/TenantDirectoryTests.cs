using System.Text;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Infrastructure.Tests.Backends;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tests.Tenants;

public abstract class TenantDirectoryTests(RedisBackend backend)
{
    static readonly TenantInfo Acme = new() { Id = "acme", Name = "Acme Corp", RequestsPerMinute = 120, MaxConcurrentJobs = 4, ItemQuota = 1000 };

    [Fact]
    public async Task CreatedKeyAuthenticatesItsTenant()
    {
        var directory = new RedisTenantDirectory(backend.Redis, backend.NewOptions());

        var key = await directory.CreateKeyAsync(Acme);

        Assert.Matches("^ftk-[A-Za-z0-9_-]{32}$", key);
        Assert.Equal(Acme, await directory.AuthenticateAsync(key));
        Assert.Equal(Acme, await directory.FindAsync("acme"));
    }

    [Fact]
    public async Task UnknownKeyIsRejected()
    {
        var directory = new RedisTenantDirectory(backend.Redis, backend.NewOptions());
        var key = await directory.CreateKeyAsync(Acme);

        Assert.Null(await directory.AuthenticateAsync(key + "x"));
        Assert.Null(await directory.AuthenticateAsync(""));
        Assert.Null(await directory.FindAsync("globex"));
    }

    [Fact]
    public async Task OperatorKeyAuthenticatesAlongsideGeneratedOnes()
    {
        var directory = new RedisTenantDirectory(backend.Redis, backend.NewOptions());

        await directory.AddKeyAsync(Acme, "dev-key-from-appsettings");
        var generated = await directory.CreateKeyAsync(Acme with { RequestsPerMinute = 60 });

        Assert.Equal(60, (await directory.AuthenticateAsync("dev-key-from-appsettings"))?.RequestsPerMinute);
        Assert.Equal("acme", (await directory.AuthenticateAsync(generated))?.Id);
    }

    [Fact]
    public async Task ApiKeysAreStoredHashed()
    {
        var options = backend.NewOptions();
        var directory = new RedisTenantDirectory(backend.Redis, options);
        var generated = await directory.CreateKeyAsync(Acme);
        const string chosen = "operator-chosen-secret";
        await directory.AddKeyAsync(Acme with { Id = "globex" }, chosen);

        var keys = await backend.KeysAsync(options.Value.KeyPrefix);
        var everything = new List<byte[]>();
        var db = backend.Redis.GetDatabase();
        foreach (var key in keys)
        {
            everything.Add(Encoding.UTF8.GetBytes(key.ToString()));
            var type = await db.KeyTypeAsync(key);
            Assert.Equal(RedisType.String, type);
            everything.Add((byte[])(await db.StringGetAsync(key))!);
        }

        var prefix = options.Value.KeyPrefix;
        Assert.Contains(keys, k => k == prefix + "tenantkey:" + RedisKeys.Sha256Hex(generated));
        Assert.Contains(keys, k => k == prefix + "tenantkey:" + RedisKeys.Sha256Hex(chosen));
        foreach (var secret in new[] { generated, chosen, generated["ftk-".Length..] })
        {
            var needle = Encoding.UTF8.GetBytes(secret);
            Assert.DoesNotContain(everything, stored => stored.AsSpan().IndexOf(needle) >= 0);
        }
    }

    [Fact]
    public async Task RecentAuthenticationNeedsNoRoundTrip()
    {
        var time = new ManualTime();
        var options = backend.NewOptions();
        var directory = new RedisTenantDirectory(backend.Redis, options, time);
        var key = await directory.CreateKeyAsync(Acme);
        Assert.NotNull(await directory.AuthenticateAsync(key));

        // With the key gone from Redis, only the in-memory entry can still answer.
        await backend.Redis.GetDatabase().KeyDeleteAsync(new RedisKeys(options.Value.KeyPrefix).TenantApiKey(RedisKeys.Sha256Hex(key)));
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(Acme, await directory.AuthenticateAsync(key));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await directory.AuthenticateAsync(key));
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("acme corp")]
    [InlineData("*")]
    public async Task TenantIdsThatCouldSpellOtherKeysAreRejected(string id)
    {
        var directory = new RedisTenantDirectory(backend.Redis, backend.NewOptions());

        await Assert.ThrowsAsync<ArgumentException>(() => directory.CreateKeyAsync(Acme with { Id = id }));
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class TenantDirectoryOnGarnet(GarnetBackend backend) : TenantDirectoryTests(backend);

[Collection(RedisServerBackend.Collection)]
public sealed class TenantDirectoryOnRedisServer(RedisServerBackend backend) : TenantDirectoryTests(backend);
