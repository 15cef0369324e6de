using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowTok.Gateway;

/// <summary>The wire format: snake_case, enums as snake_case strings, strict numbers. Used for requests, responses and events alike.</summary>
public static class GatewayJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.PropertyNameCaseInsensitive = false;
        // Web defaults accept numbers in strings ("n": "2"); the API does not.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }
}
