using FlowTok.Infrastructure.Redis;

namespace FlowTok.Infrastructure.Tests.Backends;

/// <summary>The embedded Garnet server, on a free port.</summary>
public sealed class GarnetBackend : RedisBackend
{
    public const string Collection = "Garnet";

    readonly EmbeddedRedisServer server = new();

    public EmbeddedRedisServer Server => server;

    public override string ConnectionString => server.ConnectionString;

    protected override void StopServer() => server.Dispose();
}

[CollectionDefinition(GarnetBackend.Collection)]
public sealed class GarnetCollection : ICollectionFixture<GarnetBackend>;
