namespace FlowTok.Contracts;

/// <summary>What the platform accepts (caps only: a request's defaults come from its model, <see cref="Models.PaperSampling"/>). The
/// gateway rejects anything outside these with a 4xx before it reaches a model.</summary>
public static class Limits
{
    public const int MaxPromptCharacters = 1000;
    public const int MinImages = 1;
    public const int MaxImages = 8;
    public const int MinSteps = 1;
    public const int MaxSteps = 100;
    public const double MinGuidance = 0;
    public const double MaxGuidance = 20;
    /// <summary>Range of a generation's text noise (the scale of the text VAE's sampling noise; the model's own value when not given).</summary>
    public const double MinTextNoise = 0;
    public const double MaxTextNoise = 4;
    /// <summary>Most previews per image a streamed generation may ask for (OpenAI's <c>partial_images</c>: 0..3).</summary>
    public const int MaxPartialImages = 3;

    /// <summary>Range of a request's <c>timeout</c> (seconds): work not started on a device within it is dropped and the job fails.</summary>
    public const double MinTimeoutSeconds = 0.1;
    public const double MaxTimeoutSeconds = 3600;

    /// <summary>Largest accepted upload (encoded bytes) for captioning.</summary>
    public const int MaxUploadBytes = 8 * 1024 * 1024;
    /// <summary>Largest accepted upload side and pixel count, checked from the header before decoding (decompression bombs).</summary>
    public const int MaxUploadSide = 4096;
    public const long MaxUploadPixels = 16_777_216;
    /// <summary>Most memory an upload's decode may take, as the gateway estimates it from the header: RGBA of every decoded
    /// pixel (JPEG is decoded scaled down by its decoder), plus what an interlaced PNG or a progressive JPEG keeps on the
    /// side. A 4096 x 3072 PNG is the largest PNG that fits; a JPEG fits up to <see cref="MaxUploadPixels"/>.</summary>
    public const long MaxUploadDecodeBytes = 48L << 20;
}
