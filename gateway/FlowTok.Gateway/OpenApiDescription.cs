using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FlowTok.Gateway;

/// <summary>Title, description and the bearer-key scheme of <c>/openapi/v1.json</c> (so /docs can send a key).</summary>
internal static class OpenApiDescription
{
    public const string Scheme = "bearer";

    public static Task Describe(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "FlowTok API";
        document.Info.Description =
            "Text-to-image (OpenAI-compatible /v1/images/generations) and image captioning with FlowTok, synchronous or as jobs. " +
            "Every /v1 route needs 'Authorization: Bearer <key>'. Errors are RFC 7807 problem documents.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The tenant's API key.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] }];
        return Task.CompletedTask;
    }
}
