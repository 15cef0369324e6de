using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>A deterministic, indexable source of captioned training images ([B, 3, S, S] in [0, 1] + captions).</summary>
public interface ICaptionedImages
{
    (Tensor Images, string[] Captions) Batch(long firstIndex, int count);
}
