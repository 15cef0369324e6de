namespace FlowTok.Model.Checkpoints;

/// <summary>On-disk checkpoint format, decided from the file's bytes, never from its extension.</summary>
public enum CheckpointFormat
{
    Unknown,
    Safetensors,
    /// <summary>PyTorch's zip archive from <c>torch.save</c> (<c>.pth</c>, <c>.bin</c>, <c>.pt</c>, <c>.ckpt</c>).</summary>
    TorchZipPickle,
    /// <summary>Pre-1.6 <c>torch.save</c> output (a bare pickle stream); recognised only to explain that it is unsupported.</summary>
    LegacyTorchPickle,
}
