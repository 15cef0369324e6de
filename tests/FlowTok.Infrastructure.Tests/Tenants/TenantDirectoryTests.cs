using System.Text;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Storage.Tenants;
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
            if (type == RedisType.Hash)
            {
                foreach (var entry in await db.HashGetAllAsync(key))
                {
                    everything.Add((byte[])entry.Name!);
                    everything.Add((byte[])entry.Value!);
                }
                continue;
            }
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
        time.Advance(KeyLookupCache.AcceptedFor - TimeSpan.FromSeconds(1));
        Assert.Equal(Acme, await directory.AuthenticateAsync(key));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await directory.AuthenticateAsync(key));
    }

    [Fact]
    public async Task TheEchoOfItsOwnAnnouncementKeepsWhatItLearnedSince()
    {
        var options = backend.NewOptions();
        using var directory = new RedisTenantDirectory(backend.Redis, options, new ManualTime());
        var key = await directory.CreateKeyAsync(Acme);
        Assert.Equal(Acme, await directory.AuthenticateAsync(key));

        // Another instance's announcement, published after the directory's own: once the directory has forgotten the key it
        // names, it has also handled its own (earlier) echo, since one subscription's messages arrive in order.
        const string other = "ftk-other-instance-0123456789abcdef0123";
        Assert.Null(await directory.AuthenticateAsync(other));
        var channel = new RedisKeys(options.Value.KeyPrefix).TenantApiKeyChannel;
        await backend.Redis.GetSubscriber().PublishAsync(channel, "another-instance:" + RedisKeys.Sha256Hex(other));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (directory.TryAuthenticateLocally(other, out _))
        {
            Assert.True(DateTime.UtcNow < deadline, "another instance's announcement never arrived");
            await Task.Delay(10);
        }

        Assert.True(directory.TryAuthenticateLocally(key, out var tenant), "the echo of its own announcement dropped the key");
        Assert.Equal(Acme, tenant);
    }

    [Fact]
    public async Task ARefusedKeyIsRefusedAgainWithoutARoundTrip()
    {
        var options = backend.NewOptions();
        using var directory = new RedisTenantDirectory(backend.Redis, options, new ManualTime());
        const string guessed = "ftk-guessed-0123456789abcdef0123456789";
        Assert.Null(await directory.AuthenticateAsync(guessed));

        // Written behind the directory's back (no announcement): only a Redis read could find it.
        var keys = new RedisKeys(options.Value.KeyPrefix);
        await backend.Redis.GetDatabase().StringSetAsync(keys.Tenant("acme"), System.Text.Json.JsonSerializer.Serialize(Acme));
        await backend.Redis.GetDatabase().StringSetAsync(keys.TenantApiKey(RedisKeys.Sha256Hex(guessed)), "acme");
        Assert.Null(await directory.AuthenticateAsync(guessed));
        Assert.True(directory.TryAuthenticateLocally(guessed, out var tenant));
        Assert.Null(tenant);
    }

    [Fact]
    public async Task AKeyRefusedBeforeItWasAddedElsewhereIsAcceptedOnceAdded()
    {
        var options = backend.NewOptions();
        using var gateway = new RedisTenantDirectory(backend.Redis, options, new ManualTime());
        using var otherRedis = backend.Connect();
        using var admin = new RedisTenantDirectory(otherRedis, options, new ManualTime());
        const string key = "ftk-added-later-0123456789abcdef0123456";
        Assert.Null(await gateway.AuthenticateAsync(key));

        await admin.AddKeyAsync(Acme, key);

        // The clock stands still: only the announcement can make the gateway look again.
        Assert.Equal(Acme, await Eventually(() => gateway.AuthenticateAsync(key), t => t is not null));
    }

    [Fact]
    public async Task AKeyRevokedElsewhereIsRefusedByAProcessThatRememberedIt()
    {
        var options = backend.NewOptions();
        using var gateway = new RedisTenantDirectory(backend.Redis, options, new ManualTime());
        using var otherRedis = backend.Connect();
        using var admin = new RedisTenantDirectory(otherRedis, options, new ManualTime());
        var kept = await admin.CreateKeyAsync(Acme);
        var revoked = await admin.CreateKeyAsync(Acme);
        Assert.Equal(Acme, await gateway.AuthenticateAsync(revoked));

        Assert.True(await admin.RevokeKeyAsync("acme", ApiKeyId.Of(revoked)));

        Assert.Null(await Eventually(() => gateway.AuthenticateAsync(revoked), t => t is null));
        Assert.Equal(Acme, await gateway.AuthenticateAsync(kept));
        Assert.Equal([ApiKeyId.Of(kept)], (await admin.ListKeysAsync("acme")).Select(k => k.Id));
        Assert.False(await admin.RevokeKeyAsync("acme", ApiKeyId.Of(revoked)));
        Assert.False(await admin.RevokeKeyAsync("globex", ApiKeyId.Of(kept)));
    }

    [Fact]
    public async Task ARemovedTenantsKeysAreRefused()
    {
        var options = backend.NewOptions();
        using var directory = new RedisTenantDirectory(backend.Redis, options, new ManualTime());
        var key = await directory.CreateKeyAsync(Acme);
        Assert.NotNull(await directory.AuthenticateAsync(key));

        Assert.True(await directory.RemoveAsync("acme"));

        Assert.Null(await directory.AuthenticateAsync(key));
        Assert.Null(await directory.FindAsync("acme"));
        Assert.Empty(await directory.ListKeysAsync("acme"));
        Assert.False(await directory.RemoveAsync("acme"));
    }

    /// <summary>Asks until the answer satisfies <paramref name="done"/> (a broadcast is asynchronous); at most 10 s.</summary>
    static async Task<T> Eventually<T>(Func<Task<T>> ask, Func<T, bool> done)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(10))
        {
            var answer = await ask();
            if (done(answer) || DateTime.UtcNow > deadline)
            {
                return answer;
            }
        }
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

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class TenantDirectoryOnRedisServer(RedisServerBackend backend) : TenantDirectoryTests(backend);
