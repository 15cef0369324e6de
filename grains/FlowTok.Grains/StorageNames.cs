namespace FlowTok.Grains;

/// <summary>Grain storage providers the silo must register (Redis in every mode).</summary>
public static class StorageNames
{
    public const string Jobs = "jobs";
    public const string Tenants = "tenants";
}
