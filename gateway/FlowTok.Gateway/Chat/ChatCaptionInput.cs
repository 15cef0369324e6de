using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Chat;

/// <summary>
/// Turns a chat request into the caption route's input: the one image (from a user message's <c>image_url</c> part) and
/// the settings, checked exactly as <see cref="CaptionInputs"/> checks a caption body (the same scan, decode and limits).
/// </summary>
public static class ChatCaptionInput
{
    private static readonly HashSet<string> Roles = ["user", "system", "developer", "assistant"];

    public static OrProblem<CaptionInput> From(ChatCompletionRequest request)
    {
        var errors = new FieldErrors();
        if (request.N is { } n && n != 1) errors.Add("n", "n must be 1: an image has one caption");
        var image = FindImage(request.Messages, errors);
        if (errors.Count > 0) return new(null, Problems.Validation(errors.ToDictionary()));
        return CaptionInputs.From(image,
            RequestValidation.Sampling(request.Steps, request.GuidanceScale), RequestValidation.Scheduling(request.Priority, request.Timeout));
    }

    /// <summary>The one image part of the messages; every other mistake in them is a field error.</summary>
    private static Base64Image? FindImage(IReadOnlyList<ChatMessage>? messages, FieldErrors errors)
    {
        if (messages is not { Count: > 0 })
        {
            errors.Add("messages", "messages is required: a user message with an image_url content part");
            return null;
        }
        var images = new List<(string Field, string? Role, Base64Image Image)>();
        for (int m = 0; m < messages.Count; m++)
        {
            var message = messages[m];
            string at = $"messages[{m}]";
            if (message.Role is not { } role || !Roles.Contains(role))
                errors.Add($"{at}.role", $"role must be one of {string.Join(", ", Roles.Select(r => $"\"{r}\""))}");
            if (message.Content is not { } content) continue;
            foreach (var (field, error) in content.Errors) errors.Add($"{at}.content{field}", JsonBody.FieldError(error, $"{at}.content{field}"));
            for (int p = 0; p < content.Parts.Count; p++)
            {
                var part = content.Parts[p];
                string partAt = $"{at}.content[{p}]";
                switch (part.Type)
                {
                    case "text":
                        if (part.Text is null) errors.Add($"{partAt}.text", "a text part needs text");
                        break;
                    case "image_url" when part.ImageUrl?.Url is { } url:
                        images.Add(($"{partAt}.image_url", message.Role, url));
                        break;
                    case "image_url":
                        errors.Add($"{partAt}.image_url.url", $"an image_url part needs image_url.url, a data: URL ({DataUrlImage.Example})");
                        break;
                    default:
                        errors.Add($"{partAt}.type", $"content part type '{part.Type}' is not supported; send \"text\" and \"image_url\" parts");
                        break;
                }
            }
        }
        if (errors.Count > 0) return null;
        if (images.Count == 0)
            errors.Add("messages", $"no image to caption: send a user message with an image_url content part ({DataUrlImage.Example})");
        else if (images.Count > 1)
            errors.Add(images[1].Field, "one image per request: each image has its own caption");
        else if (images[0].Role != "user")
            errors.Add(images[0].Field, "the image must be in a user message");
        return images.Count == 1 ? images[0].Image : null;
    }
}
