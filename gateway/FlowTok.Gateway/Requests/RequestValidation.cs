using FlowTok.Contracts.Models;
using System.Globalization;
using System.Text.RegularExpressions;
using FlowTok.Contracts;

namespace FlowTok.Gateway.Requests;

public enum ResponseFormat
{
    B64Json,
    Url,
}

/// <summary>A request's parameters or its field errors (field name on the wire -> messages).</summary>
public sealed record Validated<T>(T? Value, IReadOnlyDictionary<string, string[]> Errors) where T : class
{
    public bool IsValid => Value is not null && Errors.Count == 0;
}

/// <summary>What the gateway knows of the served model when it validates: its version (namespaces caches) and sizes.</summary>
public sealed record ServedModel(string Version, int NativeSize, IReadOnlyList<int> SupportedSizes)
{
    /// <summary>The model's id (what a job names to reach its replicas); empty when not known.</summary>
    public string Id { get; init; } = "";

    /// <summary>What a request that leaves out <c>steps</c> gets: the model's own default (its <c>model_index.json</c>).</summary>
    public int DefaultSteps { get; init; } = PaperSampling.Steps;

    /// <summary>What a request that leaves out <c>guidance_scale</c> gets: the model's own default.</summary>
    public double DefaultGuidanceScale { get; init; } = PaperSampling.GuidanceScale;

    /// <summary>The request's sampler settings with what it left out filled in from the model.</summary>
    public (int Steps, double GuidanceScale) Resolve(SamplingParameters sampling) =>
        (sampling.Steps ?? DefaultSteps, sampling.GuidanceScale ?? DefaultGuidanceScale);
}

/// <summary>Sampler settings shared by generations and captions, as the request gave them (checked against the caps); null =
/// the model's default (<see cref="ServedModel.Resolve"/>).</summary>
public sealed record SamplingParameters(int? Steps, double? GuidanceScale);

/// <summary>A valid generation: every default resolved, the seed fixed, the canonical hash computed. A null
/// <paramref name="TextNoise"/> is the model's own (the model version in the hash pins it).</summary>
public sealed record GenerationParameters(
    string Prompt, int Count, int Size, long Seed, int Steps, double GuidanceScale, ResponseFormat ResponseFormat,
    string ModelVersion, string RequestHash, double? TextNoise = null)
{
    /// <summary>The request's priority and timeout (not part of <see cref="RequestHash"/>: they do not change the images).</summary>
    public WorkScheduling Scheduling { get; init; } = WorkScheduling.Default;

    /// <summary>The encoding of the answer (part of <see cref="RequestHash"/> unless PNG: the cached bytes are encoded).</summary>
    public ImageOutput Output { get; init; } = ImageOutput.Png;

    /// <summary>OpenAI's <c>quality</c> as asked ("auto" when not), echoed in the response.</summary>
    public string Quality { get; init; } = "auto";

    /// <summary>The client's end-user ids (OpenAI's <c>user</c>, <c>safety_identifier</c>), kept with the job.</summary>
    public string? User { get; init; }
    public string? SafetyIdentifier { get; init; }

    /// <summary>The served model's id: the job's items go to its replicas (its version is in the hash).</summary>
    public string? Model { get; init; }

    /// <summary>Answer as OpenAI's event stream; previews per image (neither changes the images, so neither is hashed).</summary>
    public bool Stream { get; init; }
    public int PartialImages { get; init; }
}

/// <summary>Checks requests against <see cref="Limits"/> and resolves their defaults. Pure: no I/O.</summary>
public static partial class RequestValidation
{
    public static Validated<GenerationParameters> Generation(GenerationRequest request, ServedModel model)
    {
        var errors = new FieldErrors();
        string prompt = (request.Prompt ?? "").Trim();
        if (request.Prompt is null) errors.Add("prompt", "prompt is required");
        else if (prompt.Length == 0) errors.Add("prompt", "prompt must not be empty");
        else if (prompt.Length > Limits.MaxPromptCharacters)
            errors.Add("prompt", $"prompt has {prompt.Length} characters; at most {Limits.MaxPromptCharacters} are accepted");

        int count = request.N ?? 1;
        if (count is < Limits.MinImages or > Limits.MaxImages)
            errors.Add("n", $"n must be between {Limits.MinImages} and {Limits.MaxImages}");

        int size = model.NativeSize;
        if (request.Size is not null and not "auto")
        {
            string supported = string.Join(", ", model.SupportedSizes.Select(s => $"{s}x{s}"));
            if (ParseSize(request.Size) is not { } wh) errors.Add("size", $"size must be \"WxH\" (e.g. \"{model.NativeSize}x{model.NativeSize}\"); supported: {supported}");
            else if (wh.Width != wh.Height || !model.SupportedSizes.Contains(wh.Width))
                errors.Add("size", $"size {request.Size} is not supported; supported: {supported}");
            else size = wh.Width;
        }

        var format = ResponseFormat.B64Json;
        switch (request.ResponseFormat)
        {
            case null or "b64_json": break;
            case "url": format = ResponseFormat.Url; break;
            default: errors.Add("response_format", "response_format must be \"b64_json\" or \"url\""); break;
        }

        var output = CheckOutput(request.OutputFormat, request.OutputCompression, errors);
        CheckBackground(request.Background, errors);
        string? user = CheckEndUserId("user", request.User, errors), safetyIdentifier = CheckEndUserId("safety_identifier", request.SafetyIdentifier, errors);
        var sampling = CheckSampling(request.Steps ?? StepsOf(request.Quality, errors), request.GuidanceScale, errors);
        double? textNoise = request.TextNoise;
        if (textNoise is { } noise && (!double.IsFinite(noise) || noise < Limits.MinTextNoise || noise > Limits.MaxTextNoise))
            errors.Add("text_noise", $"text_noise must be between {Limits.MinTextNoise} and {Limits.MaxTextNoise}");
        var scheduling = CheckScheduling(request.Priority, request.Timeout, errors);
        int partialImages = request.PartialImages ?? 0;
        if (partialImages is < 0 or > Limits.MaxPartialImages)
            errors.Add("partial_images", $"partial_images must be between 0 and {Limits.MaxPartialImages}");
        bool stream = request.Stream ?? false;
        if (stream && format == ResponseFormat.Url)
            errors.Add("response_format", "a streamed response carries its images as b64_json; response_format \"url\" cannot be streamed");
        if (errors.Count > 0) return new(null, errors.ToDictionary());

        var (steps, guidance) = model.Resolve(sampling);
        long seed = request.Seed ?? CanonicalRequest.DefaultSeed(prompt, count, size, steps, guidance, model.Version, textNoise);
        string hash = CanonicalRequest.Hash(CanonicalRequest.WithOutput(
            CanonicalRequest.Generation(prompt, count, size, seed, steps, guidance, model.Version, textNoise), output));
        return new(new GenerationParameters(prompt, count, size, seed, steps, guidance, format, model.Version, hash, textNoise)
        {
            Scheduling = scheduling, Output = output, Quality = request.Quality ?? "auto", User = user, SafetyIdentifier = safetyIdentifier,
            Stream = stream, PartialImages = partialImages, Model = model.Id.Length > 0 ? model.Id : null,
        }, errors.ToDictionary());
    }

    public static Validated<SamplingParameters> Sampling(int? steps, double? guidanceScale)
    {
        var errors = new FieldErrors();
        var sampling = CheckSampling(steps, guidanceScale, errors);
        return new(errors.Count == 0 ? sampling : null, errors.ToDictionary());
    }

    /// <summary>Steps and guidance from multipart form fields (strings); unparsable values are field errors.</summary>
    public static Validated<SamplingParameters> Sampling(string? steps, string? guidanceScale)
    {
        var errors = new FieldErrors();
        int? s = null;
        double? g = null;
        if (!string.IsNullOrEmpty(steps))
        {
            if (int.TryParse(steps, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) s = v;
            else errors.Add("steps", "steps must be an integer");
        }
        if (!string.IsNullOrEmpty(guidanceScale))
        {
            if (double.TryParse(guidanceScale, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)) g = v;
            else errors.Add("guidance_scale", "guidance_scale must be a number");
        }
        if (errors.Count > 0) return new(null, errors.ToDictionary());
        return Sampling(s, g);
    }

    /// <summary>"WxH" -> (W, H); null when the text is not of that form.</summary>
    public static (int Width, int Height)? ParseSize(string text)
    {
        var m = SizePattern().Match(text);
        return m.Success ? (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) : null;
    }

    private static SamplingParameters CheckSampling(int? steps, double? guidanceScale, FieldErrors errors)
    {
        if (steps is < Limits.MinSteps or > Limits.MaxSteps)
            errors.Add("steps", $"steps must be between {Limits.MinSteps} and {Limits.MaxSteps}");
        if (guidanceScale is { } g && (!double.IsFinite(g) || g < Limits.MinGuidance || g > Limits.MaxGuidance))
            errors.Add("guidance_scale", $"guidance_scale must be between {Limits.MinGuidance} and {Limits.MaxGuidance}");
        return new SamplingParameters(steps, guidanceScale);
    }

    [GeneratedRegex("^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")]
    private static partial Regex SizePattern();
}

/// <summary>Field errors collected during validation, in the shape of a validation problem's <c>errors</c> map.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public int Count => _errors.Count;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}
