namespace FlowTok.Cluster.Tests;

/// <summary>Every test of this project: they start, stop and kill processes on a small machine, one test at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "cluster";
}
