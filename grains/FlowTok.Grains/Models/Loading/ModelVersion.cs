using System.Security.Cryptography;
using System.Text;
using FlowTok.Model.Loading;

namespace FlowTok.Grains.Models.Loading;

/// <summary>
/// A model directory's version, "{name}@{12 hex}": a hash of its index, its components' configs and its weight files'
/// sizes. Caches (prompt encodings, outputs) are namespaced by it, so a changed model never serves another's entries.
/// </summary>
public static class ModelVersion
{
    public static string Of(ModelDirectory directory)
    {
        var text = new StringBuilder(File.ReadAllText(Path.Combine(directory.Root, ModelIndex.FileName)));
        foreach (var role in directory.Index.Components.Keys.Order())
        {
            var config = Path.Combine(directory.ComponentFolder(role), ModelDirectory.ConfigFileName);
            if (File.Exists(config)) text.Append(File.ReadAllText(config));
            if (role != ModelIndex.Roles.Tokenizer) text.Append(new FileInfo(directory.WeightsPath(role)).Length);
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return $"{directory.Index.Name}@{hash[..12]}";
    }
}
