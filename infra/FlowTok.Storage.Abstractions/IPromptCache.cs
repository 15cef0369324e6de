namespace FlowTok.Storage;

/// <summary>
/// Tokenized-prompt cache keyed by tenant, model version and prompt text. Per tenant although it holds no output: a hit is
/// visible (the hit counter in /metrics, the time CLIP and the text VAE did not take), and must not tell one tenant that
/// another used a prompt.
/// </summary>
public interface IPromptCache
{
    Task<PromptEncodingRecord?> GetAsync(string tenantId, string modelVersion, string prompt);

    Task SetAsync(string tenantId, string modelVersion, string prompt, PromptEncodingRecord encoding);
}
