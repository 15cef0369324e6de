using System.Text.RegularExpressions;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;

namespace FlowTok.Grains.Models;

/// <summary>One entry of Model:Served: a model directory, the id clients name it by, and the devices that serve it.</summary>
public sealed class ServedModelOptions
{
    /// <summary>The model directory (resolved like Model:Path). Default: the bundled model.</summary>
    public string Path { get; set; } = "models/default";

    /// <summary>The id clients name in <c>model</c>; unset: the directory's <c>model_index.json</c> name ("simulated" when
    /// every device is simulated).</summary>
    public string? Id { get; set; }

    /// <summary>Devices serving this model, one replica each; no device may serve two models, and simulated ("sim:N") and real
    /// devices are not mixed in one entry (they would announce two versions of one model). Unset = ["cpu:0"].</summary>
    public List<string>? Devices { get; set; }
}

/// <summary>A model this silo serves: its id, its place in Model:Served (0 = the default), the devices running it, and the
/// hosting options its replicas run with (Model:* with this entry's Path and Devices).</summary>
public sealed partial record HostedModel(string Id, int Position, IReadOnlyList<string> Devices, ModelHostingOptions Options)
{
    /// <summary>Ids name broker queues: letters, digits, '.', '-', '_' (and start with a letter or digit).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    /// <summary>
    /// The models of <paramref name="options"/>: Model:Served, or the one-entry form (Model:Path, Model:Id, Model:Devices) when
    /// Served is empty; none when Model:Enabled is false. Throws with the setting to fix for a bad id, two entries with one
    /// id, or a device listed twice.
    /// </summary>
    public static IReadOnlyList<HostedModel> Resolve(ModelHostingOptions options)
    {
        if (!options.Enabled) return [];
        var entries = options.Served is { Count: > 0 } served
            ? served
            : [new ServedModelOptions { Path = options.Path, Id = options.Id, Devices = options.Devices }];
        var models = new List<HostedModel>();
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            List<string> devices = entry.Devices?.Where(d => !string.IsNullOrWhiteSpace(d)).Distinct(StringComparer.OrdinalIgnoreCase).ToList() is { Count: > 0 } listed
                ? listed : ["cpu:0"];
            string id = entry.Id ?? DefaultId(entry.Path, devices);
            if (!IdPattern().IsMatch(id))
                throw new InvalidOperationException($"model id '{id}' (Model:Served:{i}) must be 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit; set its Id");
            if (models.Any(m => m.Id == id))
                throw new InvalidOperationException($"two Model:Served entries serve the model id '{id}'; give each its own Id");
            if (devices.Any(SimulatedDeviceOptions.IsSimulated) && !devices.All(SimulatedDeviceOptions.IsSimulated))
                throw new InvalidOperationException($"Model:Served:{i} mixes simulated and real devices ({string.Join(", ", devices)}); give the simulated ones an entry of their own");
            foreach (var device in devices)
                if (!owners.TryAdd(device, id))
                    throw new InvalidOperationException($"device '{device}' serves both '{owners[device]}' and '{id}' in Model:Served; a device serves one model");
            models.Add(new HostedModel(id, i, devices, options.For(entry.Path, devices)));
        }
        return models;
    }

    /// <summary>The id of a directory: its index's name; a simulated-only entry's is "simulated" (it reads no directory).</summary>
    private static string DefaultId(string path, IReadOnlyList<string> devices)
    {
        if (devices.All(SimulatedDeviceOptions.IsSimulated)) return SimulatedOutputs.Name;
        var root = new ModelHostingOptions { Path = path }.ResolvePath();
        return ComponentConfig.Load<ModelIndex>(System.IO.Path.Combine(root, ModelIndex.FileName)).Name;
    }
}
