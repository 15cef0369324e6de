using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowTok.Model.Nn;

/// <summary>Reads and writes component configs as snake_case <c>config.json</c> files.</summary>
public static class ComponentConfig
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static T Load<T>(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"config file not found: {path}", path);
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    public static void Save<T>(T config, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(config, Json));
    }
}
