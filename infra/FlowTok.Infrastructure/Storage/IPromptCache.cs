namespace FlowTok.Infrastructure.Storage;

/// <summary>Tokenized-prompt cache keyed by model version and prompt text (shared by all tenants: it holds no output).</summary>
public interface IPromptCache
{
    Task<PromptEncodingRecord?> GetAsync(string modelVersion, string prompt);

    Task SetAsync(string modelVersion, string prompt, PromptEncodingRecord encoding);
}
