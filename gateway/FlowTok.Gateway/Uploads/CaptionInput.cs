using FlowTok.Contracts;
using FlowTok.Gateway.Requests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Uploads;

/// <summary>A validated image to caption (the canonical PNG the gateway made of it, and its content type) and the sampler settings.</summary>
public sealed record CaptionInput(byte[] Image, string ContentType, SamplingParameters Sampling)
{
    /// <summary>The request's priority and timeout.</summary>
    public WorkScheduling Scheduling { get; init; } = WorkScheduling.Default;

    /// <summary>The captioning model the request names (<c>model</c>); null = the default one.</summary>
    public string? Model { get; init; }
}

/// <summary>Reads a caption request: multipart/form-data (file field <c>image</c>) or JSON with the image in base64.</summary>
public static class CaptionInputs
{
    /// <summary>Largest JSON body carrying a base64 image of <see cref="Limits.MaxUploadBytes"/>.</summary>
    public const long MaxJsonBodyBytes = (Limits.MaxUploadBytes + 2L) / 3 * 4 + 64 * 1024;

    private static readonly HashSet<string> FormFields = ["image", "steps", "guidance_scale", "priority", "timeout", "model"];

    public static async Task<OrProblem<CaptionInput>> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HasFormContentType) return await ReadFormAsync(request, cancellationToken);
        if (!request.HasJsonContentType())
            return new(null, Problems.Create(415, "send multipart/form-data with an 'image' file, or JSON with a base64 'image'"));
        var body = await JsonBody.ReadAsync<CaptionRequest>(request, MaxJsonBodyBytes, cancellationToken);
        if (body.Value is not { } value) return new(null, body.Problem);
        var read = From(value.Image, RequestValidation.Sampling(value.Steps, value.GuidanceScale), RequestValidation.Scheduling(value.Priority, value.Timeout));
        return read.Value is { } input ? input with { Model = value.Model } : read;
    }

    /// <summary>Settings first (cheap), then the image (size, base64, header, decode).</summary>
    public static OrProblem<CaptionInput> From(Base64Image? base64, Validated<SamplingParameters> sampling, Validated<WorkScheduling> scheduling)
    {
        if (SettingErrors(sampling, scheduling) is { } invalid) return new(null, invalid);
        var (input, problem) = From(UploadValidator.CheckBase64(base64), sampling.Value!);
        return new(input is null ? null : input with { Scheduling = scheduling.Value! }, problem);
    }

    /// <summary>Every field error of the settings in one 400, or null when both are valid.</summary>
    private static ProblemHttpResult? SettingErrors(Validated<SamplingParameters> sampling, Validated<WorkScheduling> scheduling) =>
        sampling.IsValid && scheduling.IsValid ? null
            : Problems.Validation(sampling.Errors.Concat(scheduling.Errors).ToDictionary(e => e.Key, e => e.Value));

    public static OrProblem<CaptionInput> From(UploadCheck upload, SamplingParameters sampling) =>
        upload.IsValid
            ? new(new CaptionInput(upload.Bytes!, upload.ContentType!, sampling), null)
            : new(null, Problems.Create(upload.Status, upload.Error!, upload.Status == 413 ? "Image too large" : "Invalid image"));

    private static async Task<OrProblem<CaptionInput>> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        const long slack = 64 * 1024;
        if (request.ContentLength > Limits.MaxUploadBytes + slack) return new(null, TooLarge());
        // The whole form, not only each part, stops at the limit: a chunked body is not read (nor buffered to disk) past it.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = Limits.MaxUploadBytes + slack;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = Limits.MaxUploadBytes + slack }, cancellationToken);
        }
        catch (InvalidDataException e) when (e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, TooLarge());
        }
        catch (InvalidDataException e)
        {
            // The form reader's other limits (boundary length, headers per part, line length, field count) are about the
            // form's shape, not the image's size: 400 naming the limit.
            return new(null, Problems.BadRequest($"the multipart form could not be read ({e.Message})"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, TooLarge());
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            // The body ended inside the form (no closing boundary). Kestrel's own failures (BadHttpRequestException: body
            // too large, too slow, shorter than its Content-Length) keep their status codes.
            return new(null, Problems.BadRequest("the multipart form is truncated: the body ends before its closing boundary"));
        }

        var errors = new FieldErrors();
        foreach (string name in form.Keys.Concat(form.Files.Select(f => f.Name)).Where(n => !FormFields.Contains(n)).Distinct())
            errors.Add(name, $"unknown field '{name}'");
        if (errors.Count > 0) return new(null, Problems.Validation(errors.ToDictionary()));

        var sampling = RequestValidation.Sampling(form["steps"].FirstOrDefault(), form["guidance_scale"].FirstOrDefault());
        var scheduling = RequestValidation.Scheduling(form["priority"].FirstOrDefault(), form["timeout"].FirstOrDefault());
        if (SettingErrors(sampling, scheduling) is { } invalid) return new(null, invalid);
        if (form.Files.GetFile("image") is not { } file)
            return new(null, Problems.Validation(new Dictionary<string, string[]> { ["image"] = ["image is required (a file field named 'image')"] }));
        if (file.Length > Limits.MaxUploadBytes) return new(null, TooLarge());

        using var bytes = new MemoryStream((int)file.Length);
        await file.CopyToAsync(bytes, cancellationToken);
        var (input, problem) = From(UploadValidator.Check(bytes.ToArray()), sampling.Value!);
        return new(input is null ? null : input with { Scheduling = scheduling.Value!, Model = form["model"].FirstOrDefault() }, problem);
    }

    private static ProblemHttpResult TooLarge() =>
        Problems.Create(413, $"image is larger than {Limits.MaxUploadBytes:N0} bytes", "Image too large");
}
