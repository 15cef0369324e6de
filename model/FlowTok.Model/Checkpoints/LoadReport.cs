namespace FlowTok.Model.Checkpoints;

/// <summary>What <see cref="StateDict.LoadInto"/> did: the keys it loaded and every key that did not match.</summary>
public sealed record LoadReport(
    string ModuleName,
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> MisShaped)
{
    public bool IsExactMatch => Missing.Count == 0 && Unexpected.Count == 0 && MisShaped.Count == 0;

    /// <summary>"checkpoint does not match X: 2 missing (a, b), 1 unexpected (c), 1 mis-shaped (d: checkpoint [..] vs model [..])".</summary>
    public string Describe()
    {
        if (IsExactMatch)
            return $"checkpoint matches {ModuleName}: {Loaded.Count} tensors loaded";

        var groups = new List<string>(3);
        if (Missing.Count > 0)
            groups.Add($"{Missing.Count} missing ({string.Join(", ", Missing)})");
        if (Unexpected.Count > 0)
            groups.Add($"{Unexpected.Count} unexpected ({string.Join(", ", Unexpected)})");
        if (MisShaped.Count > 0)
            groups.Add($"{MisShaped.Count} mis-shaped ({string.Join(", ", MisShaped)})");
        return $"checkpoint does not match {ModuleName}: {string.Join(", ", groups)}";
    }

    public override string ToString() => Describe();
}
