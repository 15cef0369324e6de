using FlowTok.Grains.Batching;
using FlowTok.Grains.Scheduling;
using FlowTok.Model.Loading;

namespace FlowTok.Grains.Models;

/// <summary>
/// Configuration section "Model": which models this silo serves, on which devices, and how they batch. Several models:
/// Model:Served, a list of { Path, Id, Devices } (see <see cref="HostedModel"/>); one model: Model:Path, Model:Id and
/// Model:Devices (the one-entry form). The other settings apply to every served model.
/// </summary>
public sealed class ModelHostingOptions
{
    public const string Section = "Model";

    /// <summary>A model directory (model_index.json + one folder per component). A relative path is looked for in and
    /// above the application's folder, then the current directory. Default: the bundled model.</summary>
    public string Path { get; set; } = "models/default";

    /// <summary>The one-entry form's model id; unset: the directory's name (see <see cref="ServedModelOptions.Id"/>).</summary>
    public string? Id { get; set; }

    /// <summary>Several models, each on its own devices; when set, Path, Id and Devices are not used. The first is the default
    /// for requests that name no model. (Nullable like <see cref="Devices"/>.)</summary>
    public List<ServedModelOptions>? Served { get; set; }

    /// <summary>auto (default), fp32 or bf16. auto is bf16 where the device computes it natively (CPUs with AVX512-BF16 or
    /// AMX, GPUs) and fp32 elsewhere: bf16 is emulated, and several times slower, on AVX2-only CPUs.</summary>
    public string Dtype { get; set; } = FlowTok.Model.Nn.ComputePrecision.Auto;

    /// <summary>False: this silo hosts no model (a gateway- or job-only node).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Devices this silo owns, one model grain each: "cpu:0", "cuda:0", "cuda:1", or simulated "sim:0"... Unset = ["cpu:0"].
    /// (Nullable on purpose: the configuration binder appends to a non-empty default list instead of replacing it.)</summary>
    public List<string>? Devices { get; set; }

    /// <summary>The devices this silo serves, over all its models: none when disabled, the configured ones, else "cpu:0".</summary>
    public IReadOnlyList<string> EffectiveDevices => !Enabled ? []
        : Served is { Count: > 0 } served ? [.. served.SelectMany(s => s.Devices is { Count: > 0 } d ? d : ["cpu:0"]).Distinct()]
        : Devices is { Count: > 0 } ? Devices.Distinct().ToList() : ["cpu:0"];

    /// <summary>These options for one served model: its directory and devices, everything else shared.</summary>
    public ModelHostingOptions For(string path, IReadOnlyList<string> devices)
    {
        var copy = (ModelHostingOptions)MemberwiseClone();
        copy.Path = path;
        copy.Devices = [.. devices];
        copy.Served = null;
        return copy;
    }

    /// <summary>Most rows sampled at once on a replica, each step (cond + null guidance passes make it 2x on the device).</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>How long the first item queued at an idle device waits for companions before its rows start.</summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Items waiting in a replica's scheduler beyond which it refuses work; the tenants' queue shares divide it. The
    /// work consumers take this many messages per device from the broker, so the scheduler (not the broker's FIFO order)
    /// sees the queued work and decides its order; it should cover Platform:MaxQueuedItems.</summary>
    public int MaxQueueLength { get; set; } = 1024;

    /// <summary>Continuous (rows join at every step boundary) or RequestLevel (only into an empty batch; for comparison).</summary>
    public BatchingMode Batching { get; set; } = BatchingMode.Continuous;

    /// <summary>Tenant shares and priorities on each replica (Model:Scheduling).</summary>
    public SchedulerOptions Scheduling { get; set; } = new();

    /// <summary>libtorch intra-op threads for the inference thread; 0 keeps libtorch's default (one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>GOMP_SPINCOUNT applied at start when the operator set neither it nor OMP_WAIT_POLICY (see
    /// <see cref="OpenMpSettings"/>); 0 leaves libgomp's default.</summary>
    public long OpenMpSpinCount { get; set; } = OpenMpSettings.DefaultServingSpinCount;

    /// <summary>Timing of simulated devices ("sim:N" in <see cref="Devices"/>).</summary>
    public SimulatedDeviceOptions Simulated { get; set; } = new();

    /// <summary>Prompt encodings each replica keeps in memory in front of the Redis prompt cache (0 = none).</summary>
    public int PromptMemoryEntries { get; set; } = 1024;

    /// <summary>Run the conditional and null guidance passes as one 2B batch (faster at small and medium batches).</summary>
    public bool BatchedGuidance { get; set; } = true;

    /// <summary>Resolves <see cref="Path"/> to an existing directory or throws with the places tried.</summary>
    public string ResolvePath()
    {
        if (System.IO.Path.IsPathRooted(Path))
            return Directory.Exists(Path) ? Path : throw new DirectoryNotFoundException($"model directory '{Path}' not found; set Model:Path");
        var starts = ModelSearch.DefaultStarts();
        return ModelSearch.FindAbove(Path, starts)
            ?? throw new DirectoryNotFoundException($"model directory '{Path}' (with {ModelIndex.FileName}) not found in or above {string.Join(" or ", starts)}; set Model:Path");
    }
}
