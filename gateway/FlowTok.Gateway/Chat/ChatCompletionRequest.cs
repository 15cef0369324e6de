using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlowTok.Gateway.Uploads;

namespace FlowTok.Gateway.Chat;

/// <summary>
/// Body of <c>POST /v1/chat/completions</c> (OpenAI-compatible): captions an image sent as an <c>image_url</c> content part.
/// The fields an SDK sends are accepted; those that cannot change a caption are ignored (see their descriptions). Any other
/// field is rejected.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChatCompletionRequest
{
    [Description("The conversation; exactly one user message content part must be an image_url with a base64 data: URL. Text parts are accepted and ignored (the caption does not follow instructions).")]
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    [Description("A served model's id (GET /v1/models) that captions images; absent = the served captioning model. An unknown id is 404 with code model_not_found.")]
    public string? Model { get; init; }

    [Description("true: the answer comes as text/event-stream chat.completion.chunk events ending with data: [DONE].")]
    public bool? Stream { get; init; }

    [Description("Streaming only: include_usage adds a last chunk with usage and no choices.")]
    public ChatStreamOptions? StreamOptions { get; init; }

    [Description("Number of choices: 1 (the default) only.")]
    public int? N { get; init; }

    [Description("Sampler steps, 1..100 (default: the model's, from its model_index.json), as for /v1/images/captions.")]
    public int? Steps { get; init; }

    [Description("Classifier-free guidance scale, 0..20 (default: the model's), as for /v1/images/captions.")]
    public double? GuidanceScale { get; init; }

    [Description("\"interactive\" (default) or \"batch\", as for /v1/images/captions.")]
    public string? Priority { get; init; }

    [Description("Seconds (0.1..3600) the work may wait for a device (at most the synchronous wait), as for /v1/images/captions.")]
    public double? Timeout { get; init; }

    // OpenAI fields accepted for compatibility and ignored: a caption is at most the model's 77 text tokens, and the flow
    // sampler has no temperature, nucleus, penalties, stop sequences or seed of its own.
    public int? MaxTokens { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public double? FrequencyPenalty { get; init; }
    public double? PresencePenalty { get; init; }
    public JsonElement? Stop { get; init; }
    public long? Seed { get; init; }
    public string? User { get; init; }
    public string? SafetyIdentifier { get; init; }
    public bool? Store { get; init; }
    public JsonElement? Metadata { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChatStreamOptions
{
    public bool? IncludeUsage { get; init; }

    // Accepted and ignored: the chunks carry no padding.
    public bool? IncludeObfuscation { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChatMessage
{
    [Description("\"user\" (the image goes here), \"system\", \"developer\" or \"assistant\" (earlier turns: ignored).")]
    public string? Role { get; init; }

    [Description("A string, or an array of content parts: {\"type\": \"text\", \"text\"} or {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,...\"}}.")]
    public ChatContent? Content { get; init; }

    public string? Name { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChatContentPart
{
    [Description("\"text\" or \"image_url\".")]
    public string? Type { get; init; }

    public string? Text { get; init; }

    public ChatImageUrl? ImageUrl { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChatImageUrl
{
    [Description("A base64 data: URL (data:image/png;base64,...); PNG, JPEG, GIF, BMP or WebP, the caption route's limits. http(s) links are refused: the platform fetches nothing.")]
    [JsonConverter(typeof(DataUrlImageConverter))]
    public Base64Image? Url { get; init; }

    [Description("Ignored: the model sees the image at its own size.")]
    public string? Detail { get; init; }
}
