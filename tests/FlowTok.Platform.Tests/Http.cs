using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FlowTok.Platform.Tests;

internal static class Http
{
    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostRaw(this HttpClient client, string path, string body, string contentType) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

    public static async Task<JsonElement> Json(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode} response is not JSON: {text}");
        }
    }

    public static async Task<JsonElement> ExpectJson(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {json}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
