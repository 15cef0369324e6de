using Microsoft.Extensions.DependencyInjection;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Signalled when this silo begins to leave the cluster. Job grains then end their long polls at once and deactivate,
/// so the gateways' next poll finds each job (stored) on a surviving silo instead of waiting out the poll here.
/// </summary>
public sealed class SiloShutdown : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource stopping = new();

    public CancellationToken Stopping => stopping.Token;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloShutdown), ServiceLifecycleStage.Active, _ => Task.CompletedTask, _ =>
        {
            stopping.Cancel();
            return Task.CompletedTask;
        });

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<SiloShutdown>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<SiloShutdown>());
    }
}
