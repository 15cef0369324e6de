using FlowTok.Gateway.Apis;
using FlowTok.Gateway.Chat;
using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using static FlowTok.Fuzz.GatewayCalls;

namespace FlowTok.Fuzz;

/// <summary>
/// One JSON body, read as each endpoint that takes JSON reads it: a generation (<c>/v1/images/generations</c>, then
/// validated), a caption (<c>/v1/images/captions</c>: base64 image through the upload checks), a chat completion
/// (<c>/v1/chat/completions</c>: the data: URL image part through the same checks) and a job
/// (<c>/v1/jobs</c>, validated as its type says). Every answer is a value or a 4xx problem.
/// </summary>
public sealed class JsonBodyTarget : IFuzzTarget
{
    private const string Json = "application/json";

    /// <summary>The bundled model's sizes: 64 native, nothing else.</summary>
    private static readonly ServedModel Model = new("fuzz-model", 64, [64]);

    public string Name => "json";

    public void Run(byte[] input)
    {
        var generation = Wait(JsonBody.ReadAsync<GenerationRequest>(Post(Json, input), ImagesApi.MaxGenerationBodyBytes, default));
        ExpectValueOrClientError(generation.Value, generation.Problem, "generation body");
        if (generation.Value is { } g) ExpectValidated(RequestValidation.Generation(g, Model), "generation");

        var caption = Wait(CaptionInputs.ReadAsync(Post(Json, input), default));
        ExpectValueOrClientError(caption.Value, caption.Problem, "caption body");

        var chat = Wait(JsonBody.ReadAsync<ChatCompletionRequest>(Post(Json, input), CaptionInputs.MaxJsonBodyBytes, default));
        ExpectValueOrClientError(chat.Value, chat.Problem, "chat body");
        if (chat.Value is { } c)
        {
            var (image, problem) = ChatCaptionInput.From(c);
            ExpectValueOrClientError(image, problem, "chat caption");
        }

        var job = Wait(JsonBody.ReadAsync<JobRequest>(Post(Json, input), CaptionInputs.MaxJsonBodyBytes, default));
        ExpectValueOrClientError(job.Value, job.Problem, "job body");
        switch (job.Value?.Type)
        {
            case "generation":
                ExpectValidated(RequestValidation.Generation(job.Value.AsGeneration(), Model), "generation job");
                break;
            case "caption":
                var (image, problem) = CaptionInputs.From(job.Value.Image, RequestValidation.Sampling(job.Value.Steps, job.Value.GuidanceScale),
                    RequestValidation.Scheduling(job.Value.Priority, job.Value.Timeout));
                ExpectValueOrClientError(image, problem, "caption job");
                break;
        }
    }

    /// <summary>Valid with every value in range, or invalid with a message for each failing field.</summary>
    private static void ExpectValidated(Validated<GenerationParameters> result, string surface)
    {
        if (result.Value is { } p)
        {
            if (result.Errors.Count > 0 || p.Prompt.Length is 0 or > Contracts.Limits.MaxPromptCharacters
                || p.Count is < Contracts.Limits.MinImages or > Contracts.Limits.MaxImages || !Model.SupportedSizes.Contains(p.Size)
                || p.Steps is < Contracts.Limits.MinSteps or > Contracts.Limits.MaxSteps || !double.IsFinite(p.GuidanceScale)
                || p.RequestHash.Length != 64)
                throw new UnexpectedOutcomeException($"{surface}: accepted out of range: {p}");
        }
        else if (result.Errors.Count == 0 || result.Errors.Any(e => e.Value.Length == 0 || e.Value.Any(string.IsNullOrWhiteSpace)))
        {
            throw new UnexpectedOutcomeException($"{surface}: refused without a message for each field");
        }
    }
}
