using System.Collections;
using System.Globalization;

namespace FlowTok.Model.Checkpoints;

/// <summary>
/// Finds the state dict inside an unpickled <c>torch.save</c> object: either the top-level dict itself or the
/// one dict of tensors under a key such as "model", "state_dict" or "ema" (training checkpoints also hold
/// optimizer state, epochs, args). Anything less obvious is an error that lists the top-level keys.
/// </summary>
internal static class NestedStateDict
{
    public static IDictionary Select(IDictionary root, string path, string? nestedKey, Func<object?, bool> isTensor)
    {
        if (nestedKey is not null)
        {
            if (root.Contains(nestedKey) && root[nestedKey] is IDictionary chosen && CountTensors(chosen, isTensor) > 0)
                return chosen;
            throw new InvalidDataException($"{path} has no state dict under '{nestedKey}'; top-level keys: {Describe(root, isTensor)}");
        }

        var topLevelTensors = CountTensors(root, isTensor);
        var nested = root.Cast<DictionaryEntry>()
            .Where(e => e.Value is IDictionary d && CountTensors(d, isTensor) > 0)
            .Select(e => (IDictionary)e.Value!)
            .ToList();

        if (topLevelTensors > 0 && nested.Count == 0)
            return root;
        if (topLevelTensors == 0 && nested.Count == 1)
            return nested[0];
        if (topLevelTensors == 0 && nested.Count == 0)
            throw new InvalidDataException($"{path} holds no tensors; top-level keys: {Describe(root, isTensor)}");
        throw new InvalidDataException(
            $"{path} holds more than one state dict; top-level keys: {Describe(root, isTensor)}. Name the one to load (nestedKey).");
    }

    public static string KeyOf(object key) => System.Convert.ToString(key, CultureInfo.InvariantCulture) ?? "";

    static int CountTensors(IDictionary dictionary, Func<object?, bool> isTensor) =>
        dictionary.Values.Cast<object?>().Count(isTensor);

    static string Describe(IDictionary root, Func<object?, bool> isTensor) =>
        string.Join(", ", root.Cast<DictionaryEntry>()
            .OrderBy(e => KeyOf(e.Key), StringComparer.Ordinal)
            .Select(e => e.Value switch
            {
                _ when isTensor(e.Value) => $"{KeyOf(e.Key)} (tensor)",
                IDictionary d => $"{KeyOf(e.Key)} (dict, {CountTensors(d, isTensor)} tensors)",
                null => $"{KeyOf(e.Key)} (None)",
                var v => $"{KeyOf(e.Key)} ({v.GetType().Name})",
            }));
}
