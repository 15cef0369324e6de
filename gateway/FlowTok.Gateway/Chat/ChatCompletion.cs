using System.Text.Json.Serialization;
using FlowTok.Gateway.Apis;

namespace FlowTok.Gateway.Chat;

/// <summary>OpenAI's <c>chat.completion</c>: one choice whose message is the image's caption.</summary>
public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, ChatUsage Usage)
{
    public const string ObjectName = "chat.completion";

    public static ChatCompletion Of(ChatCompletionHead head, string caption) =>
        new(head.Id, ObjectName, head.Created, head.Model, [new ChatChoice(0, new ChatResponseMessage("assistant", caption, null), null, "stop")], ChatUsage.Caption);
}

/// <summary>What every object of one answer shares (a stream's chunks all have the same id, created and model).</summary>
public sealed record ChatCompletionHead(string Id, long Created, string Model)
{
    /// <summary>The id names the caption's job (<c>chatcmpl-</c> + job id), which <c>GET /v1/jobs/{id}</c> shows.</summary>
    public static ChatCompletionHead For(string jobId, string model) =>
        new($"chatcmpl-{jobId}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model);
}

public sealed record ChatChoice(int Index, ChatResponseMessage Message, object? Logprobs, string FinishReason);

public sealed record ChatResponseMessage(string Role, string Content, string? Refusal);

/// <summary>
/// OpenAI's <c>usage</c>, counted as FlowTok captions (like <see cref="ImageUsage"/>): the image is read as
/// <see cref="ImageUsage.TokensPerImage"/> 1D image tokens, and the caption is decoded from CLIP's full context of
/// <see cref="ImageUsage.TextTokens"/> text tokens, whatever the caption's length.
/// </summary>
public sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    public static readonly ChatUsage Caption = new(ImageUsage.TokensPerImage, ImageUsage.TextTokens, ImageUsage.TokensPerImage + ImageUsage.TextTokens);
}

/// <summary>OpenAI's <c>chat.completion.chunk</c>: a stream's event. The last one (with <c>include_usage</c>) has no choices and the usage.</summary>
public sealed record ChatCompletionChunk(
    string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatUsage? Usage)
{
    public const string ObjectName = "chat.completion.chunk";

    public static ChatCompletionChunk Of(ChatCompletionHead head, ChatDelta delta, string? finishReason) =>
        new(head.Id, ObjectName, head.Created, head.Model, [new ChatChunkChoice(0, delta, null, finishReason)], null);

    public static ChatCompletionChunk UsageOf(ChatCompletionHead head) => new(head.Id, ObjectName, head.Created, head.Model, [], ChatUsage.Caption);
}

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, object? Logprobs, string? FinishReason);

public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);
