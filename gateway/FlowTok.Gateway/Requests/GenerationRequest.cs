using System.ComponentModel;
using System.Text.Json.Serialization;
using FlowTok.Gateway.Uploads;

namespace FlowTok.Gateway.Requests;

/// <summary>Body of <c>POST /v1/images/generations</c> (OpenAI-compatible). Unknown fields are rejected.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record GenerationRequest
{
    [Description("What to draw (1..1000 characters).")]
    public string? Prompt { get; init; }

    [Description("Number of images, 1..8 (default 1).")]
    public int? N { get; init; }

    [Description("\"WxH\" or \"auto\"; default and only accepted: the served model's native size.")]
    public string? Size { get; init; }

    [Description("\"b64_json\" (default) or \"url\" (a signed link that downloads without the API key until it expires, Gateway:LinkLifetime).")]
    public string? ResponseFormat { get; init; }

    [Description("\"png\" (default), \"jpeg\" or \"webp\".")]
    public string? OutputFormat { get; init; }

    [Description("jpeg and webp: 0..100, the encoder's quality (100, the default, keeps the most detail).")]
    public int? OutputCompression { get; init; }

    [Description("\"low\" (10 steps), \"medium\" (20), \"high\" (30) or \"auto\" (the default steps); also \"standard\" (20) and \"hd\" (30). An explicit steps wins.")]
    public string? Quality { get; init; }

    [Description("\"opaque\" or \"auto\" (both: the model's opaque images); \"transparent\" is refused.")]
    public string? Background { get; init; }

    [Description("Your end user's id (at most 256 characters), kept with the job and shown in its JSON to your tenant only.")]
    public string? User { get; init; }

    [Description("OpenAI's successor of user: a stable id of your end user (at most 256 characters), kept with the job.")]
    public string? SafetyIdentifier { get; init; }

    [Description("Seed of the first image (image i uses seed + i); default derived from the request, so identical requests give identical images.")]
    public long? Seed { get; init; }

    [Description("Sampler steps, 1..100 (default: the quality's, else the model's own from its model_index.json, e.g. 8 for the bundled model, 20 for published checkpoints).")]
    public int? Steps { get; init; }

    [Description("Classifier-free guidance scale, 0..20 (default: the model's own, 2.0 for published checkpoints).")]
    public double? GuidanceScale { get; init; }

    [Description("Scale of the text tokens' sampling noise, 0..4 (default: the served model's; 1 is the paper's sampling, 0 samples the text VAE's mean, so every seed gives the same image).")]
    public double? TextNoise { get; init; }

    [Description("\"interactive\" (default of the synchronous routes: served first) or \"batch\" (default of async jobs: keeps a guaranteed minimum share of device time).")]
    public string? Priority { get; init; }

    [Description("Seconds (0.1..3600) the work may wait for a device: work not started by then is dropped and the request fails (synchronous routes: 504).")]
    public double? Timeout { get; init; }

    [Description("true: answer text/event-stream with OpenAI's image_generation.partial_image and image_generation.completed events (b64_json only).")]
    public bool? Stream { get; init; }

    [Description("Previews per image while it is sampled, 0..3 (default 0): the model's estimate of the final image at evenly spaced steps. Sent as partial_image events when stream is true (ignored otherwise).")]
    public int? PartialImages { get; init; }

    [Description("A served model's id (GET /v1/models); absent = the served model. An unknown id is 404 with code model_not_found.")]
    public string? Model { get; init; }

    // OpenAI field accepted for compatibility and ignored.
    public string? Style { get; init; }
}

/// <summary>JSON body of <c>POST /v1/images/captions</c>; the multipart form has the same fields with the image as a file.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CaptionRequest
{
    [Description("The image, base64 (a data: URL prefix is accepted).")]
    public Base64Image? Image { get; init; }

    public int? Steps { get; init; }

    public double? GuidanceScale { get; init; }

    public string? Priority { get; init; }

    public double? Timeout { get; init; }

    [Description("A served model's id (GET /v1/models) that captions images; absent = the served captioning model. An unknown id is 404 with code model_not_found; a model that does not caption, 400.")]
    public string? Model { get; init; }
}

/// <summary>Body of <c>POST /v1/jobs</c>: a generation (fields as for /v1/images/generations, no response_format) or a caption.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record JobRequest
{
    [Description("\"generation\" or \"caption\".")]
    public string? Type { get; init; }

    public string? Prompt { get; init; }
    public int? N { get; init; }
    public string? Size { get; init; }
    public long? Seed { get; init; }
    public int? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    public double? TextNoise { get; init; }
    public string? Priority { get; init; }
    public double? Timeout { get; init; }
    public string? Model { get; init; }
    public string? User { get; init; }
    public string? Quality { get; init; }
    public string? Style { get; init; }
    public string? Background { get; init; }
    public string? SafetyIdentifier { get; init; }

    [Description("Generation jobs: previews per image, 0..3 (default 0), sent as preview events on GET /v1/jobs/{id}/events.")]
    public int? PartialImages { get; init; }

    [Description("Caption jobs: the image, base64.")]
    public Base64Image? Image { get; init; }

    [Description("An http(s) URL told when the job ends (succeeded, failed or cancelled): a signed POST of the job's JSON, "
        + "retried with back-off. Overrides the tenant's default; loopback and private addresses are refused.")]
    public string? WebhookUrl { get; init; }

    public GenerationRequest AsGeneration() => new()
    {
        Prompt = Prompt, N = N, Size = Size, Seed = Seed, Steps = Steps, GuidanceScale = GuidanceScale, TextNoise = TextNoise,
        Priority = Priority, Timeout = Timeout, Model = Model, User = User, Quality = Quality, Style = Style,
        Background = Background, SafetyIdentifier = SafetyIdentifier, PartialImages = PartialImages,
    };
}
