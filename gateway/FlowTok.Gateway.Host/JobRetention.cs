namespace FlowTok.Gateway.Host;

/// <summary>
/// How long a tenant's job list remembers a job: as long as the silos keep the job (Platform:JobRetention, at least
/// Platform:JobTimeout plus a minute). The same rule as the silo's PlatformOptions.EffectiveJobRetention, read here from
/// the same keys because that class lives with the grains, which this host does not reference.
/// </summary>
public static class JobRetention
{
    public static TimeSpan Read(IConfiguration configuration)
    {
        var retention = configuration.GetValue("Platform:JobRetention", TimeSpan.FromHours(24));
        var timeout = configuration.GetValue("Platform:JobTimeout", TimeSpan.FromMinutes(30));
        var least = timeout + TimeSpan.FromMinutes(1);
        return retention > least ? retention : least;
    }
}
