using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace FlowTok.Model.Nn;

/// <summary>
/// Where libtorch comes from. Builds with <c>-p:TorchBackend=cpu</c> (the default) carry libtorch-cpu in their output.
/// Builds with <c>-p:TorchBackend=system</c> reference only the TorchSharp package (its libLibTorchSharp.so) and load
/// libtorch 2.10 — CPU or CUDA — from the directory in <c>FLOWTOK_LIBTORCH</c>: an unpacked libtorch distribution's
/// <c>lib</c> folder or a PyTorch install's <c>torch/lib</c>. It must be loaded before the first tensor exists, so
/// every entry point (CLI, silo, test assemblies) calls <see cref="LoadConfigured"/> first.
/// </summary>
public static partial class LibTorchRuntime
{
    public const string EnvironmentVariable = "FLOWTOK_LIBTORCH";

    /// <summary>The libtorch line TorchSharp 0.107 is built against.</summary>
    public const string RequiredVersion = "2.10";

    private static readonly object Gate = new();
    private static string? loadedFrom;

    /// <summary>The backend this build was made with (cpu, cuda or system).</summary>
    public static string BuildBackend { get; } =
        typeof(LibTorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    /// <summary>The directory libtorch was loaded from by <see cref="Load"/>, or null when it came with the build.</summary>
    public static string? LoadedFrom => loadedFrom;

    /// <summary>Loads libtorch from <c>FLOWTOK_LIBTORCH</c> when it is set; in a system build it must be.</summary>
    public static void LoadConfigured()
    {
        var dir = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(dir) && BuildBackend != "system")
            // Two libtorch copies in one process abort at the first tensor.
            throw new LibTorchException($"{EnvironmentVariable} is set, but this build carries its own libtorch (-p:TorchBackend={BuildBackend}); unset it, or build with -p:TorchBackend=system");
        if (!string.IsNullOrWhiteSpace(dir)) Load(dir);
        else if (BuildBackend == "system")
            throw new LibTorchException($"this build takes libtorch from the node (-p:TorchBackend=system): set {EnvironmentVariable} to a libtorch {RequiredVersion} lib directory (an unpacked libtorch distribution's lib/, or a PyTorch install's torch/lib)");
    }

    /// <summary>Checks <paramref name="directory"/> and loads its libtorch libraries; names what is missing or mismatched.</summary>
    public static void Load(string directory)
    {
        lock (Gate)
        {
            var dir = Path.GetFullPath(directory);
            if (loadedFrom == dir) return;
            // The directory is checked first, so a wrong one is named as wrong even when libtorch is already loaded.
            if (!Directory.Exists(dir)) throw new LibTorchException($"{EnvironmentVariable}: directory {dir} does not exist");
            string[] core = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];
            var missing = core.Where(f => !File.Exists(Path.Combine(dir, f))).ToList();
            if (missing.Count > 0)
                throw new LibTorchException($"{EnvironmentVariable}: {dir} lacks {string.Join(", ", missing)}; point it at libtorch's lib directory (libtorch/lib or site-packages/torch/lib)");
            if (FindVersion(dir) is { } found && !found.StartsWith(RequiredVersion + ".", StringComparison.Ordinal) && found != RequiredVersion)
                throw new LibTorchException($"{EnvironmentVariable}: {dir} holds libtorch {found}; TorchSharp 0.107 needs libtorch {RequiredVersion}.x");
            if (loadedFrom is not null) throw new LibTorchException($"libtorch is already loaded from {loadedFrom}; cannot load it again from {dir}");
            bool cuda = File.Exists(Path.Combine(dir, "libtorch_cuda.so"));
            string[] order = cuda ? ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"] : core;
            foreach (var file in order)
            {
                var path = Path.Combine(dir, file);
                if (!File.Exists(path)) throw new LibTorchException($"{EnvironmentVariable}: {dir} has libtorch_cuda.so but lacks {file}");
                try
                {
                    NativeLibrary.Load(path);
                }
                catch (DllNotFoundException e)
                {
                    throw new LibTorchException($"{EnvironmentVariable}: loading {path} failed (a library it needs is missing, e.g. the CUDA runtime for a CUDA build): {e.Message}", e);
                }
            }
            loadedFrom = dir;
        }
    }

    /// <summary>The libtorch version recorded beside the libraries: build-version of a libtorch distribution, or
    /// torch/version.py of a PyTorch install; null when neither is there.</summary>
    public static string? FindVersion(string libDirectory)
    {
        var parent = Directory.GetParent(Path.GetFullPath(libDirectory))?.FullName;
        if (parent is null) return null;
        var buildVersion = Path.Combine(parent, "build-version");
        if (File.Exists(buildVersion)) return File.ReadAllText(buildVersion).Trim();
        var versionPy = Path.Combine(parent, "version.py");
        if (File.Exists(versionPy) && VersionLine().Match(File.ReadAllText(versionPy)) is { Success: true } m) return m.Groups[1].Value;
        return null;
    }

    [GeneratedRegex(@"__version__\s*=\s*['""]([^'""]+)['""]")]
    private static partial Regex VersionLine();
}

/// <summary>libtorch could not be found or loaded as configured.</summary>
public sealed class LibTorchException(string message, Exception? inner = null) : Exception(message, inner);
