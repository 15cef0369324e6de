using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Apis;
using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Jobs;

/// <summary>From a request to the <see cref="JobSpec"/> a grain runs (shared by the synchronous image routes and async jobs).</summary>
public static class JobSpecs
{
    /// <summary>Validates a generation against the served model it names (<c>model</c>; none = any): 404 model_not_found for a
    /// model not served, 400 for one that does not generate images, 503 without any, 400 with field errors.</summary>
    public static async Task<OrProblem<GenerationParameters>> ValidateGenerationAsync(GatewayServices s, GenerationRequest request)
    {
        if (await s.Models.ForGenerationAsync(request.Model) is not { } model)
        {
            if (request.Model is null) return new(null, Problems.NoModel("text-to-image"));
            bool listed = (await s.Models.ListAsync()).Any(m => m.Id == request.Model);
            return new(null, listed
                ? Problems.Validation(new Dictionary<string, string[]> { ["model"] = [$"model '{request.Model}' does not generate images"] })
                : Problems.ModelNotFound(request.Model));
        }
        var validated = RequestValidation.Generation(request, model);
        return validated.IsValid ? new(validated.Value, null) : new(null, Problems.Validation(validated.Errors));
    }

    public static JobSpec Generation(string tenantId, GenerationParameters p) => new()
    {
        TenantId = tenantId,
        Kind = JobKind.Generation,
        Prompt = p.Prompt,
        Count = p.Count,
        Seed = p.Seed,
        Steps = p.Steps,
        GuidanceScale = p.GuidanceScale,
        TextNoise = p.TextNoise,
        RequestHash = p.RequestHash,
        User = p.User,
        SafetyIdentifier = p.SafetyIdentifier,
        Previews = p.PartialImages,
        Model = p.Model,
    };

    /// <summary>
    /// A caption spec for the validated upload, run by the captioning model <paramref name="modelId"/> (checked by the caller)
    /// or the default; 503 without a captioning model. The upload is not stored here: it is stored only once the job is
    /// admitted (<see cref="JobSubmitter.SubmitAsync"/>), so a refused request leaves nothing behind.
    /// </summary>
    public static async Task<OrProblem<JobSpec>> CaptionAsync(GatewayServices s, CaptionInput input, string? modelId = null)
    {
        if (await s.Models.ForCaptionAsync(modelId) is not { } model) return new(null, Problems.NoModel("image-to-text (captions)"));
        var (steps, guidance) = model.Resolve(input.Sampling);
        return new(new JobSpec
        {
            TenantId = s.Tenant.Id,
            Kind = JobKind.Caption,
            Count = 1,
            Model = model.Id.Length > 0 ? model.Id : null,
            Steps = steps,
            GuidanceScale = guidance,
            RequestHash = CanonicalRequest.Hash(CanonicalRequest.Caption(input.Image, steps, guidance, model.Version)),
        }, null);
    }
}
