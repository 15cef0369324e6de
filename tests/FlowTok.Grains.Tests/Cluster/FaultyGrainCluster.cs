using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Jobs;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Persistence;
using Orleans.Storage;

namespace FlowTok.Grains.Tests.Cluster;

/// <summary>
/// The grain cluster with faults injected by job id, and a short job timeout (5 s) and reservation sweep (every second,
/// leaving reservations younger than 2 s alone) so that convergence is seen within a test:
/// the first stored write of a job whose id starts with <see cref="FailedWritePrefix"/> fails (Redis failing after admission);
/// a job whose id starts with <see cref="LostReleasePrefix"/> can never return its tenant slot itself (every release it
/// tries fails, as if its silo died with the retry timer); every result of a job whose id starts with <see cref="SilentPrefix"/>
/// is lost.
/// </summary>
public sealed class FaultyGrainCluster : GrainCluster
{
    public const string FailedWritePrefix = "failed-write-";
    public const string LostReleasePrefix = "lost-release-";
    public const string SilentPrefix = "silent-";
    public static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SweepGrace = TimeSpan.FromSeconds(2);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Platform:JobTimeout"] = JobTimeout.ToString();
        settings["Platform:ItemStallTimeout"] = "00:00:00"; // no requeue: a silent job's items stay silent
        settings["Platform:ReservationSweepPeriod"] = SweepPeriod.ToString();
        settings["Platform:ReservationSweepGrace"] = SweepGrace.ToString();
    }

    protected override void Configure(ISiloBuilder silo)
    {
        // Replaces the jobs storage registered before (the last keyed registration wins), wrapping the same Redis provider.
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Jobs, (services, _) =>
            new FirstWriteFails(RedisGrainStorageFactory.Create(services, StorageNames.Jobs), FailedWritePrefix));
        silo.AddIncomingGrainCallFilter(new JobReleaseFails(LostReleasePrefix));
        silo.Services.AddSingleton<IConfigureReceiveEndpoint>(new LostResults(SilentPrefix, every: true));
    }

    /// <summary>Grain storage whose first write of each grain whose key starts with the prefix throws.</summary>
    private sealed class FirstWriteFails(IGrainStorage inner, string prefix) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        private readonly HashSet<GrainId> failed = [];

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (grainId.Key.ToString()!.StartsWith(prefix, StringComparison.Ordinal))
                lock (failed)
                    if (failed.Add(grainId)) throw new TimeoutException("Redis did not answer (injected)");
            return inner.WriteStateAsync(stateName, grainId, grainState);
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

        public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
    }

    /// <summary>Fails a tenant's <see cref="ITenantGrain.FinishJobAsync"/> when a job whose id starts with the prefix calls it.</summary>
    private sealed class JobReleaseFails(string prefix) : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod.Name == nameof(ITenantGrain.FinishJobAsync)
                && context.SourceId is { } source && source.Key.ToString()!.StartsWith(prefix, StringComparison.Ordinal))
                throw new TimeoutException("the tenant's silo did not answer (injected)");
            return context.Invoke();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FaultyGrainClusterCollection : ICollectionFixture<FaultyGrainCluster>
{
    public const string Name = "faulty grain cluster";
}
