using FlowTok.Model.Nn;

namespace FlowTok.Model.Tests.Nn;

/// <summary>The checks a system-libtorch node runs at start, before anything is loaded (the loading itself is shown by
/// build/test-system-libtorch, which runs this whole assembly from a -p:TorchBackend=system build).</summary>
public sealed class LibTorchRuntimeTests : IDisposable
{
    private readonly TempDirectory temp = new();

    private string Lib(params string[] files)
    {
        var lib = Path.Combine(temp.Path, "libtorch", "lib");
        Directory.CreateDirectory(lib);
        foreach (var f in files) File.WriteAllText(Path.Combine(lib, f), "");
        return lib;
    }

    [Fact]
    public void AMissingDirectoryOrLibraryIsNamed()
    {
        var absent = Assert.Throws<LibTorchException>(() => LibTorchRuntime.Load(Path.Combine(temp.Path, "nowhere")));
        Assert.Contains("does not exist", absent.Message);
        var partial = Assert.Throws<LibTorchException>(() => LibTorchRuntime.Load(Lib("libc10.so")));
        Assert.Contains("libtorch_cpu.so, libtorch.so", partial.Message);
        Assert.Contains(LibTorchRuntime.EnvironmentVariable, partial.Message);
    }

    [Fact]
    public void AnotherLibtorchVersionIsRefusedBeforeLoading()
    {
        var lib = Lib("libc10.so", "libtorch_cpu.so", "libtorch.so");
        File.WriteAllText(Path.Combine(temp.Path, "libtorch", "build-version"), "2.5.1+cu124\n");
        var error = Assert.Throws<LibTorchException>(() => LibTorchRuntime.Load(lib));
        Assert.Contains("2.5.1+cu124", error.Message);
        Assert.Contains(LibTorchRuntime.RequiredVersion, error.Message);
    }

    [Fact]
    public void TheVersionIsReadFromADistributionOrAPyTorchInstall()
    {
        var lib = Lib();
        Assert.Null(LibTorchRuntime.FindVersion(lib));
        File.WriteAllText(Path.Combine(temp.Path, "libtorch", "version.py"), "__version__ = '2.10.0+cu128'\ngit_version = 'abc'\n");
        Assert.Equal("2.10.0+cu128", LibTorchRuntime.FindVersion(lib));
        File.WriteAllText(Path.Combine(temp.Path, "libtorch", "build-version"), "2.10.0+cpu");
        Assert.Equal("2.10.0+cpu", LibTorchRuntime.FindVersion(lib));
    }

    public void Dispose() => temp.Dispose();
}
