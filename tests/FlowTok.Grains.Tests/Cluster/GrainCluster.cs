using FlowTok.Contracts.Messages;
using FlowTok.Grains.Consumers;
using FlowTok.Grains.Jobs;
using FlowTok.Grains.Models;
using FlowTok.Grains.Placement;
using FlowTok.Infrastructure.Redis;
using FlowTok.Storage;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace FlowTok.Grains.Tests.Cluster;

/// <summary>
/// One silo in Orleans' in-process test cluster with the platform's real parts: the embedded Redis-protocol server (grain
/// storage, admission counter, cancellations, files), an in-memory MassTransit bus with the work and job-event consumers,
/// and one model replica on a simulated device ("sim:0": the only fake). Its device takes 50 ms a step, one row at a
/// time, without preemption, so a long job holds it while another waits. Items silent for a second are queued again, and
/// the first result of every item of a job whose id starts with <see cref="LostResultPrefix"/> is lost on the bus.
/// </summary>
public class GrainCluster : IAsyncLifetime
{
    public const string LostResultPrefix = "lost-result-";
    public static readonly TimeSpan StepTime = TimeSpan.FromMilliseconds(50);

    private readonly RedisEndpoint redis = RedisEndpoint.Resolve(new RedisOptions());
    private InProcessTestCluster cluster = null!;

    public IClusterClient Client => cluster.Client;
    public IServiceProvider Silo => cluster.Silos[0].ServiceProvider;
    public IAdmissionCounter Admission => Silo.GetRequiredService<IAdmissionCounter>();
    public LostResults Lost { get; } = new(LostResultPrefix);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Redis:ConnectionString"] = redis.ConnectionString,
                ["Model:Devices:0"] = "sim:0",
                ["Model:MaxBatchSize"] = "1",
                ["Model:MaxQueueDelay"] = "00:00:00",
                ["Model:Scheduling:Preemption"] = "false",
                ["Model:Simulated:StepLatency"] = StepTime.ToString(),
                ["Model:Simulated:RowStepLatency"] = "00:00:00",
                ["Platform:ItemStallTimeout"] = "00:00:01",
                ["Platform:MaxItemRequeues"] = "2",
            };
            Configure(settings);
            host.Configuration.AddInMemoryCollection(settings);
            var services = host.Services;
            services.AddFlowTokRedis(host.Configuration);
            services.Configure<ModelHostingOptions>(host.Configuration.GetSection(ModelHostingOptions.Section));
            services.Configure<PlatformOptions>(host.Configuration.GetSection(PlatformOptions.Section));
            services.AddSingleton<LocalModels>();
            SiloShutdown.Register(services);
            services.AddSingleton<IConfigureReceiveEndpoint>(Lost);
            services.AddMassTransit(x =>
            {
                x.DisableUsageTelemetry();
                x.AddConsumer<GenerateImageConsumer, WorkConsumerDefinition<GenerateImageConsumer>>();
                x.AddConsumer<CaptionImageConsumer, WorkConsumerDefinition<CaptionImageConsumer>>();
                x.AddConsumer<ImageGeneratedConsumer, JobEventConsumerDefinition<ImageGeneratedConsumer>>();
                x.AddConsumer<ImageCaptionedConsumer, JobEventConsumerDefinition<ImageCaptionedConsumer>>();
                x.AddConsumer<GenerationFailedConsumer, JobEventConsumerDefinition<GenerationFailedConsumer>>();
                x.AddConsumer<WorkFaultConsumer, JobEventConsumerDefinition<WorkFaultConsumer>>();
                x.UsingInMemory((context, bus) => bus.ConfigureEndpoints(context));
            });
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddFlowTokGrainStorage();
            silo.AddFlowTokReservationSweep();
            silo.AddFlowTokWebhooks<SnapshotWebhookBody>();
            silo.Services.AddPlacementDirector<DevicePlacement, DevicePlacementDirector>();
            Configure(silo);
        });
        cluster = builder.Build();
        await cluster.DeployAsync();
    }

    /// <summary>A derived cluster's settings over these.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>A derived cluster's silo parts (fault injection) over these.</summary>
    protected virtual void Configure(ISiloBuilder silo)
    {
    }

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        redis.Dispose();
    }

    /// <summary>On every receive endpoint: swallows the first <see cref="ImageGenerated"/> of each item of the jobs whose id
    /// starts with the prefix (or, <paramref name="every"/>, all of them), before any consumer sees it (a result event lost as
    /// the broker restarts).</summary>
    public sealed class LostResults(string prefix, bool every = false) : IConfigureReceiveEndpoint, IFilter<ConsumeContext>
    {
        private readonly HashSet<(string Job, int Index)> lost = [];

        public int Count
        {
            get { lock (lost) return lost.Count; }
        }

        public void Configure(string name, IReceiveEndpointConfigurator configurator) => configurator.UseFilter(this);

        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
        {
            if (context.TryGetMessage<ImageGenerated>(out var result) && result.Message.JobId.StartsWith(prefix, StringComparison.Ordinal))
                lock (lost)
                    if (lost.Add((result.Message.JobId, result.Message.Index)) || every) return Task.CompletedTask;
            return next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("lose-first-result");
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainCluster>
{
    public const string Name = "grain cluster";
}

/// <summary>A webhook body for grain tests (the wire shape is the gateway's, tested through the platform).</summary>
public sealed class SnapshotWebhookBody : FlowTok.Infrastructure.Webhooks.IJobWebhookBody
{
    public byte[] Render(FlowTok.Contracts.Jobs.JobSnapshot job, string linksBaseUrl) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(job);
}
