using System.Buffers.Binary;
using System.Text.Json;
using FlowTok.Model.Checkpoints;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Checkpoints;

public sealed class SafetensorsWriteTests
{
    [Fact]
    public void RoundTripPreservesEveryDtypeAndShape()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["bf16"] = randn(5, 2).to(ScalarType.BFloat16),
            ["f16"] = randn(7).to(ScalarType.Float16),
            ["f64"] = randn(2, 2, 2, dtype: ScalarType.Float64),
            ["i64"] = arange(0, 11, dtype: ScalarType.Int64),
            ["i32"] = arange(-3, 3, dtype: ScalarType.Int32),
            ["u8"] = arange(0, 255, dtype: ScalarType.Byte),
            ["bool"] = randn(9) > 0,
            ["scalar"] = tensor(0.07f),
            ["empty"] = zeros(0, 3),
        };
        var path = temp.File("all-dtypes.safetensors");

        StateDict.WriteSafetensors(path, tensors);

        TensorAssert.Identical(tensors, StateDict.Read(path));
    }

    [Fact]
    public void WrittenFileFollowsTheSafetensorsLayout()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var tensors = new Dictionary<string, Tensor>
        {
            ["z.last"] = randn(3).to(ScalarType.BFloat16),
            ["a.first"] = randn(2, 3),
            ["m.middle"] = ones(1, dtype: ScalarType.Bool),
        };
        var path = temp.File("layout.safetensors");

        StateDict.WriteSafetensors(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());

        var entries = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
        Assert.Equal(["a.first", "m.middle", "z.last"], entries.Select(e => e.Name));
        Assert.Equal(["F32", "BOOL", "BF16"], entries.Select(e => e.Value.GetProperty("dtype").GetString()));
        long expectedBegin = 0;
        foreach (var entry in entries)
        {
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            Assert.Equal(expectedBegin, offsets[0]);
            expectedBegin = offsets[1];
        }
        Assert.Equal(bytes.LongLength, 8 + headerLength + expectedBegin);
    }

    [Fact]
    public void FixtureRoundTripsThroughTheWriterBitExactInFp32AndBf16()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var fp32 = StateDict.Read(ReferenceFixtures.PathOf("flowtok.pth"));
        var bf16 = StateDict.ConvertDtype(fp32, ScalarType.BFloat16);

        StateDict.WriteSafetensors(temp.File("fp32.safetensors"), fp32);
        StateDict.WriteSafetensors(temp.File("bf16.safetensors"), bf16);

        TensorAssert.Identical(fp32, StateDict.Read(temp.File("fp32.safetensors")));
        var bf16Back = StateDict.Read(temp.File("bf16.safetensors"));
        Assert.All(bf16Back.Values, t => Assert.Equal(ScalarType.BFloat16, t.dtype));
        TensorAssert.Identical(bf16, bf16Back);
    }

    [Fact]
    public void ConvertDtypeCastsOnlyFloatingPointTensors()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["weight"] = randn(4, 4),
            ["ids"] = arange(0, 77, dtype: ScalarType.Int64),
            ["mask"] = ones(3, dtype: ScalarType.Bool),
        };

        var converted = StateDict.ConvertDtype(tensors, ScalarType.BFloat16);

        Assert.Equal(ScalarType.BFloat16, converted["weight"].dtype);
        Assert.Equal(ScalarType.Int64, converted["ids"].dtype);
        Assert.Equal(ScalarType.Bool, converted["mask"].dtype);
        Assert.Equal(ScalarType.Float32, tensors["weight"].dtype);
    }

    [Fact]
    public void TensorsLargerThanOneIoChunkAndNonContiguousTensorsRoundTrip()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var tensors = new Dictionary<string, Tensor>
        {
            // 24 MB: more than one 16 MB read/write chunk.
            ["big"] = randn(3, 2_000_000),
            ["transposed"] = randn(6, 5).t(),
        };
        var path = temp.File("big.safetensors");

        StateDict.WriteSafetensors(path, tensors);

        TensorAssert.Identical(tensors, StateDict.Read(path));
    }

    [Fact]
    public void WritingReplacesAnExistingFile()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var path = temp.File("weights.safetensors");
        StateDict.WriteSafetensors(path, new Dictionary<string, Tensor> { ["old"] = randn(1000) });
        var replacement = new Dictionary<string, Tensor> { ["new"] = randn(2) };

        StateDict.WriteSafetensors(path, replacement);

        TensorAssert.Identical(replacement, StateDict.Read(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }
}
