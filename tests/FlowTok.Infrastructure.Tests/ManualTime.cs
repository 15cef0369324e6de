namespace FlowTok.Infrastructure.Tests;

/// <summary>A clock that moves only when told to.</summary>
public sealed class ManualTime : TimeProvider
{
    DateTimeOffset now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
