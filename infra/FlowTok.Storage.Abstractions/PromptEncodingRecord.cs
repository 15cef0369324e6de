namespace FlowTok.Storage;

/// <summary>
/// One prompt's text-side encoding as plain arrays: the CLIP ids [Tokens], the CLIP states [Tokens, Width] (the decoder's
/// text guidance), and the text VAE's mu and logvar [Tokens, Channels]. Enough to skip CLIP and the text VAE.
/// </summary>
public sealed record PromptEncodingRecord(
    long[] Ids,
    float[] ClipStates,
    int[] ClipStatesShape,
    float[] Mu,
    float[] LogVar,
    int[] LatentShape);
