using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

/// <summary>
/// A 2D convolution (parameters <c>weight</c> [out, in, k, k] and <c>bias</c> [out], exactly like <c>nn.Conv2d</c>, with the
/// same initialisation and random draws) that on the CPU always hands libtorch a number of output channels that is a
/// multiple of <see cref="ChannelBlock"/>: the weight is zero-padded to the next multiple and the extra outputs are cut off.
/// <para>
/// Why: libtorch 2.10's oneDNN convolutions on AVX512 CPUs compute wrong numbers when the output channels are not a
/// multiple of 16 and the kernel is larger than 1x1 (measured: bf16 forward off by 20-96 % of the signal for 1-12 and 24
/// output channels, fp32 backward-to-input NaN in about 1 run in 1000 for 3 channels, which turned the tokenizer's
/// training to NaN at random steps). AVX2 kernels, 1x1 kernels and multiples of 16 are right. Padding keeps the fast
/// oneDNN path and its numbers on every ISA; the padded channels cost nothing measurable (they are 3 of 16 at the
/// tokenizer's pixel head only).
/// </para>
/// </summary>
public sealed class BlockedConv2d : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels are padded to a multiple of this on the CPU (the AVX512 kernels' block).</summary>
    public const int ChannelBlock = 16;

    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly long stride;
    private readonly long padding;

    public BlockedConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(BlockedConv2d))
    {
        // Built through nn.Conv2d so the initialisation (and every random number it draws) is that of the stock module.
        using var stock = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: bias);
        weight = nn.Parameter(stock.weight!.detach().clone());
        if (bias) this.bias = nn.Parameter(stock.bias!.detach().clone());
        this.stride = stride;
        this.padding = padding;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor input)
    {
        long outChannels = weight.shape[0];
        long padded = (outChannels + ChannelBlock - 1) / ChannelBlock * ChannelBlock;
        if (padded == outChannels || weight.device_type != DeviceType.CPU)
            return nn.functional.conv2d(input, weight, bias, strides: [stride, stride], padding: [padding, padding]);
        using var scope = torch.NewDisposeScope();
        var w = nn.functional.pad(weight, [0, 0, 0, 0, 0, 0, 0, padded - outChannels]);
        var b = bias is null ? null : nn.functional.pad(bias, [0, padded - outChannels]);
        var output = nn.functional.conv2d(input, w, b, strides: [stride, stride], padding: [padding, padding]);
        return output[.., ..(int)outChannels].MoveToOuterDisposeScope();
    }
}
