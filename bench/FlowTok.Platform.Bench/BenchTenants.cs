namespace FlowTok.Platform.Bench;

/// <summary>
/// The tenants the HTTP scheduling benchmarks run as. In process the benchmark configures them itself; a cluster under
/// test must be started with them (infra/deploy/cluster-fairness.sh passes <see cref="ClusterArguments"/>).
/// </summary>
internal static class BenchTenants
{
    public const string SmallKey = "ftk-bench-small-0123456789abcdef0123";
    public const string BigKey = "ftk-bench-big-0123456789abcdef012345";

    /// <summary>Three tenants at weights 1, 2 and 4: id, key, weight.</summary>
    public static readonly (string Id, string Key, double Weight)[] Weighted =
    [
        ("w1", "ftk-bench-w1-0123456789abcdef01234567", 1),
        ("w2", "ftk-bench-w2-0123456789abcdef01234567", 2),
        ("w4", "ftk-bench-w4-0123456789abcdef01234567", 4),
    ];

    /// <summary>The gateway configuration of all five tenants (no rate limit, enough concurrent jobs for the load).</summary>
    public static IEnumerable<string> ClusterArguments()
    {
        var all = new[] { ("small", SmallKey, 1.0), ("big", BigKey, 1.0) }.Concat(Weighted).ToList();
        for (int i = 0; i < all.Count; i++)
        {
            var (id, key, weight) = all[i];
            yield return $"--Tenants:{i}:Id={id}";
            yield return $"--Tenants:{i}:Key={key}";
            yield return $"--Tenants:{i}:Weight={weight}";
            yield return $"--Tenants:{i}:RequestsPerMinute=1000000";
            yield return $"--Tenants:{i}:MaxConcurrentJobs=256";
        }
    }
}
