using System.Text.Json;
using System.Text.Json.Serialization;
using FlowTok.Gateway.Requests;

namespace FlowTok.Gateway.Chat;

/// <summary>A message's content: a string, or content parts. A part that does not deserialize is kept as a field error
/// (its path inside the content) so that the 400 names the field exactly, e.g. <c>messages[0].content[1].image_url.foo</c>.</summary>
[JsonConverter(typeof(ChatContentConverter))]
public sealed record ChatContent(string? Text, IReadOnlyList<ChatContentPart> Parts, IReadOnlyList<KeyValuePair<string, JsonException>> Errors);

public sealed class ChatContentConverter : JsonConverter<ChatContent>
{
    public override ChatContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new(reader.GetString(), [], []);
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("content must be a string or an array of content parts");
        var parts = new List<ChatContentPart>();
        var errors = new List<KeyValuePair<string, JsonException>>();
        for (int index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
        {
            // The serializer hands a converter its whole value, so a failed part can be skipped from where it began.
            var start = reader;
            try
            {
                parts.Add(JsonSerializer.Deserialize<ChatContentPart>(ref reader, options)
                    ?? throw new JsonException("a content part must be an object"));
            }
            catch (JsonException e)
            {
                reader = start;
                reader.Skip();
                string inner = JsonBody.FieldOf(e.Path);
                errors.Add(new(inner.Length == 0 ? $"[{index}]" : $"[{index}].{inner}", e));
            }
        }
        return new(null, parts, errors);
    }

    public override void Write(Utf8JsonWriter writer, ChatContent value, JsonSerializerOptions options)
    {
        if (value.Text is not null) writer.WriteStringValue(value.Text);
        else JsonSerializer.Serialize(writer, value.Parts, options);
    }
}
