using System.Text;
using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Apis;
using FlowTok.Gateway.Jobs;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Chat;

/// <summary>
/// A streamed chat answer for an admitted caption job: the assistant's role at once (so a client sees the answer begin while
/// the job queues), the caption as one content delta when the job ends, a <c>stop</c> chunk, the usage chunk when asked,
/// then <c>data: [DONE]</c>. A job that fails after the headers went out ends the stream with <c>data: {"error": …}</c>,
/// which OpenAI's clients raise as an API error.
/// </summary>
public sealed class ChatCompletionStream(GatewayServices s, JobSnapshot job, ChatCompletionHead head, bool includeUsage) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = JobEvents.ContentType;
        http.Response.Headers.CacheControl = "no-cache";
        var cancellationToken = http.RequestAborted;
        try
        {
            await WriteAsync(http, ChatCompletionChunk.Of(head, new ChatDelta("assistant", ""), null), cancellationToken);
            var (caption, problem) = await CaptionJobs.WaitAsync(s, job, headersSent: true);
            if (caption is null)
            {
                await WriteAsync(http, new { error = OpenAiErrors.Of(problem!.ProblemDetails) }, cancellationToken);
                return;
            }
            await WriteAsync(http, ChatCompletionChunk.Of(head, new ChatDelta(null, caption), null), cancellationToken);
            await WriteAsync(http, ChatCompletionChunk.Of(head, new ChatDelta(null, null), "stop"), cancellationToken);
            if (includeUsage) await WriteAsync(http, ChatCompletionChunk.UsageOf(head), cancellationToken);
            await WriteDataAsync(http, "[DONE]", cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the job runs on and its result stays available under its id.
        }
    }

    private static Task WriteAsync<T>(HttpContext http, T value, CancellationToken cancellationToken) =>
        WriteDataAsync(http, JsonSerializer.Serialize(value, GatewayJson.Options), cancellationToken);

    private static async Task WriteDataAsync(HttpContext http, string data, CancellationToken cancellationToken)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"), cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
