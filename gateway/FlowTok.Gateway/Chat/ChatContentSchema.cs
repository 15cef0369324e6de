using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FlowTok.Gateway.Chat;

/// <summary>
/// <see cref="ChatContent"/> is read by its own converter, so the generated schema knows nothing of it: this says what it is
/// (a string or content parts) for <c>/openapi/v1.json</c> and <c>/docs</c>.
/// </summary>
internal static class ChatContentSchema
{
    public static async Task Describe(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type != typeof(ChatContent)) return;
        var part = await context.GetOrCreateSchemaAsync(typeof(ChatContentPart), null, cancellationToken);
        schema.OneOf = [new OpenApiSchema { Type = JsonSchemaType.String }, new OpenApiSchema { Type = JsonSchemaType.Array, Items = part }];
    }
}
