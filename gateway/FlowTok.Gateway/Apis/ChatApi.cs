using FlowTok.Gateway.Chat;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// OpenAI-compatible chat completions that caption an image: what an SDK user already calls for image-to-text. The image
/// takes the caption route's path (scan, decode, limits, admission, quotas, scheduling); errors are problem+json with
/// OpenAI's <c>error</c> object.
/// </summary>
public static class ChatApi
{
    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/chat").WithTags("Chat")
            .MapPost("/completions", CreateChatCompletion)
            .WithSummary("Caption an image sent as an image_url data: URL (OpenAI-compatible chat completion; stream: true for chunks)")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletionChunk>(200, JobEvents.ContentType)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415).ProducesProblem(429)
            .ProducesProblem(500).ProducesProblem(503).ProducesProblem(504);
        return app;
    }

    public static async Task<Results<Ok<ChatCompletion>, ChatCompletionStream, ProblemHttpResult>> CreateChatCompletion([AsParameters] GatewayServices s)
    {
        // A chat body is a caption body: the same limit as a JSON caption.
        var body = await JsonBody.ReadAsync<ChatCompletionRequest>(s.Http.Request, CaptionInputs.MaxJsonBodyBytes, s.Aborted);
        if (body.Value is not { } request) return OpenAiErrors.With(body.Problem!);
        var (model, unknown) = await CaptionJobs.CheckModelAsync(s, request.Model);
        if (model is null) return OpenAiErrors.With(unknown!);
        var (input, invalid) = ChatCaptionInput.From(request);
        if (input is null) return OpenAiErrors.With(invalid!);
        var (job, refused) = await CaptionJobs.SubmitAsync(s, input, request.Model is null ? null : model);
        if (job is null) return OpenAiErrors.With(refused!);

        var head = ChatCompletionHead.For(job.JobId, model);
        if (request.Stream == true) return new ChatCompletionStream(s, job, head, request.StreamOptions?.IncludeUsage == true);
        var (caption, unfinished) = await CaptionJobs.WaitAsync(s, job);
        if (caption is null) return OpenAiErrors.With(unfinished!);
        return TypedResults.Ok(ChatCompletion.Of(head, caption));
    }
}
