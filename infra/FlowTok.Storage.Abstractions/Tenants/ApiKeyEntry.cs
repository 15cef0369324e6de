namespace FlowTok.Storage.Tenants;

/// <summary>One of a tenant's API keys as the directory knows it: its id (<see cref="ApiKeyId"/>) and when it was added.</summary>
public sealed record ApiKeyEntry(string Id, DateTimeOffset CreatedAt);
