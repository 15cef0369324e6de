namespace FlowTok.Model.Checkpoints;

/// <summary>Which model a checkpoint holds, guessed from its tensor names (the published files carry no config).</summary>
public static class CheckpointComponent
{
    public const string FlowTok = "flowtok";
    public const string FlowTiTok = "flowtitok";
    public const string ClipTextOpenAi = "clip-text-openai";
    public const string ClipTextHf = "clip-text-hf";
    public const string Unknown = "unknown";

    // Key patterns unique to each reference implementation's state_dict().
    static readonly (string Component, Func<string, bool> Matches)[] Signatures =
    [
        (FlowTok, k => k.StartsWith("x_embedder.", StringComparison.Ordinal)
                       || k.Contains("adaLN_modulation", StringComparison.Ordinal)
                       || k.StartsWith("context_encoder.", StringComparison.Ordinal)
                       || k.StartsWith("context_projector.", StringComparison.Ordinal)
                       || k.StartsWith("final_layer.", StringComparison.Ordinal)
                       || k == "t2t_temperature"),
        (FlowTiTok, k => k == "latent_tokens"
                         || k.EndsWith(".latent_tokens", StringComparison.Ordinal)
                         || k.StartsWith("encoder.patch_embed.", StringComparison.Ordinal)
                         || k.StartsWith("decoder.", StringComparison.Ordinal)),
        (ClipTextOpenAi, k => k == "token_embedding.weight"
                              || k.StartsWith("transformer.resblocks.", StringComparison.Ordinal)),
        (ClipTextHf, k => k.StartsWith("text_model.embeddings.", StringComparison.Ordinal)
                          || k.StartsWith("text_model.encoder.", StringComparison.Ordinal)),
    ];

    /// <summary>The component whose signature keys are most frequent among <paramref name="names"/>, or "unknown".</summary>
    public static string Guess(IEnumerable<string> names)
    {
        var scores = new int[Signatures.Length];
        foreach (var raw in names)
        {
            // DistributedDataParallel / torch.compile wrappers prefix every key.
            var name = StripWrapperPrefix(raw);
            for (var i = 0; i < Signatures.Length; i++)
                if (Signatures[i].Matches(name))
                    scores[i]++;
        }

        var best = -1;
        for (var i = 0; i < scores.Length; i++)
            if (scores[i] > 0 && (best < 0 || scores[i] > scores[best]))
                best = i;
        return best < 0 ? Unknown : Signatures[best].Component;
    }

    static string StripWrapperPrefix(string name)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["module.", "_orig_mod."])
            if (name.StartsWith(prefix, StringComparison.Ordinal))
                return name[prefix.Length..];
        return name;
    }
}
