using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Loading;

/// <summary>
/// Brings a CLIP checkpoint's text tower to OpenAI/open_clip names, whichever naming it uses: OpenAI/open_clip
/// (<c>transformer.resblocks.{i}.attn.in_proj_weight</c>) or Hugging Face <c>CLIPTextModel</c>/<c>CLIPModel</c>
/// (<c>text_model.encoder.layers.{i}.self_attn.q_proj</c>, q|k|v fused here). Vision-tower keys are dropped.
/// </summary>
public static partial class ClipTextNames
{
    public enum Naming { OpenAi, HuggingFace }

    public static Naming Detect(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            if (key.StartsWith("text_model.", StringComparison.Ordinal)) return Naming.HuggingFace;
            if (key.StartsWith("transformer.resblocks.", StringComparison.Ordinal) || key == "token_embedding.weight") return Naming.OpenAi;
        }
        throw new InvalidDataException("not a CLIP text checkpoint: no 'transformer.resblocks.*' (OpenAI) or 'text_model.*' (Hugging Face) keys");
    }

    /// <summary>
    /// Returns the text tower under OpenAI names. New tensors (fused q|k|v, transposed projection) are created;
    /// others are shared with the input. <paramref name="keepProjection"/> keeps <c>text_projection</c> and
    /// <c>logit_scale</c> when present.
    /// </summary>
    public static Dictionary<string, Tensor> ToOpenAi(IReadOnlyDictionary<string, Tensor> tensors, bool keepProjection)
    {
        var naming = Detect(tensors.Keys);
        var result = naming == Naming.OpenAi ? FromOpenAi(tensors) : FromHuggingFace(tensors);
        if (!keepProjection)
        {
            result.Remove("text_projection");
            result.Remove("logit_scale");
        }
        return result;
    }

    private static Dictionary<string, Tensor> FromOpenAi(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in tensors)
        {
            // A full CLIP checkpoint also holds the image tower; the text encoder needs none of it.
            if (key.StartsWith("visual.", StringComparison.Ordinal) || key is "input_resolution" or "context_length" or "vocab_size") continue;
            result[key] = value;
        }
        return result;
    }

    private static Dictionary<string, Tensor> FromHuggingFace(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var result = new Dictionary<string, Tensor>();
        var qkv = new SortedDictionary<int, Dictionary<string, Tensor>>();
        foreach (var (key, value) in tensors)
        {
            if (key.StartsWith("vision_model.", StringComparison.Ordinal) || key.StartsWith("visual_projection.", StringComparison.Ordinal)
                || key == "text_model.embeddings.position_ids")
                continue;
            if (key == "text_projection.weight") { result["text_projection"] = value.t(); continue; }
            if (key == "logit_scale") { result["logit_scale"] = value; continue; }

            var m = LayerKey().Match(key);
            if (m.Success)
            {
                int layer = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                string rest = m.Groups[2].Value;
                string prefix = $"transformer.resblocks.{layer}.";
                switch (rest)
                {
                    case "self_attn.q_proj.weight" or "self_attn.k_proj.weight" or "self_attn.v_proj.weight"
                        or "self_attn.q_proj.bias" or "self_attn.k_proj.bias" or "self_attn.v_proj.bias":
                        if (!qkv.TryGetValue(layer, out var parts)) qkv[layer] = parts = new Dictionary<string, Tensor>();
                        parts[rest] = value;
                        continue;
                    case "self_attn.out_proj.weight": result[prefix + "attn.out_proj.weight"] = value; continue;
                    case "self_attn.out_proj.bias": result[prefix + "attn.out_proj.bias"] = value; continue;
                    case "layer_norm1.weight": result[prefix + "ln_1.weight"] = value; continue;
                    case "layer_norm1.bias": result[prefix + "ln_1.bias"] = value; continue;
                    case "layer_norm2.weight": result[prefix + "ln_2.weight"] = value; continue;
                    case "layer_norm2.bias": result[prefix + "ln_2.bias"] = value; continue;
                    case "mlp.fc1.weight": result[prefix + "mlp.c_fc.weight"] = value; continue;
                    case "mlp.fc1.bias": result[prefix + "mlp.c_fc.bias"] = value; continue;
                    case "mlp.fc2.weight": result[prefix + "mlp.c_proj.weight"] = value; continue;
                    case "mlp.fc2.bias": result[prefix + "mlp.c_proj.bias"] = value; continue;
                }
            }
            result[key switch
            {
                "text_model.embeddings.token_embedding.weight" => "token_embedding.weight",
                "text_model.embeddings.position_embedding.weight" => "positional_embedding",
                "text_model.final_layer_norm.weight" => "ln_final.weight",
                "text_model.final_layer_norm.bias" => "ln_final.bias",
                _ => key, // left as is so a strict load names it as unexpected
            }] = value;
        }

        foreach (var (layer, parts) in qkv)
        {
            string prefix = $"transformer.resblocks.{layer}.attn.";
            foreach (var kind in new[] { "weight", "bias" })
            {
                var names = new[] { "q", "k", "v" }.Select(p => $"self_attn.{p}_proj.{kind}").ToArray();
                var missing = names.Where(n => !parts.ContainsKey(n)).ToArray();
                if (missing.Length > 0)
                    throw new InvalidDataException($"CLIP layer {layer} lacks {string.Join(", ", missing.Select(n => $"text_model.encoder.layers.{layer}.{n}"))}");
                result[prefix + (kind == "weight" ? "in_proj_weight" : "in_proj_bias")] = torch.cat(names.Select(n => parts[n]).ToArray(), 0);
            }
        }
        return result;
    }

    [GeneratedRegex(@"^text_model\.encoder\.layers\.(\d+)\.(.+)$")]
    private static partial Regex LayerKey();
}
