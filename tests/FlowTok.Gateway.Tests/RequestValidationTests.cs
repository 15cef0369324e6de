using FlowTok.Contracts.Models;
using System.Text;
using FlowTok.Contracts;
using FlowTok.Gateway.Requests;

namespace FlowTok.Gateway.Tests;

public class RequestValidationTests
{
    private static readonly ServedModel Model = new("v1", 256, [256]);

    private static Validated<GenerationParameters> Validate(GenerationRequest request) => RequestValidation.Generation(request, Model);

    private static void RejectsField(GenerationRequest request, string field, string? messagePart = null)
    {
        var result = Validate(request);
        Assert.False(result.IsValid);
        Assert.Null(result.Value);
        Assert.True(result.Errors.ContainsKey(field), $"expected an error on '{field}', got: {string.Join(", ", result.Errors.Keys)}");
        if (messagePart is not null) Assert.Contains(result.Errors[field], m => m.Contains(messagePart, StringComparison.Ordinal));
    }

    [Fact]
    public void StepsAndGuidanceLeftOutComeFromTheServedModel()
    {
        var model = Model with { DefaultSteps = 8, DefaultGuidanceScale = 3.5 };
        var p = RequestValidation.Generation(new GenerationRequest { Prompt = "a red circle" }, model).Value!;
        Assert.Equal((8, 3.5), (p.Steps, p.GuidanceScale));
        var given = RequestValidation.Generation(new GenerationRequest { Prompt = "a red circle", Steps = 12, GuidanceScale = 1 }, model).Value!;
        Assert.Equal((12, 1.0), (given.Steps, given.GuidanceScale));
        // The same request on models with other defaults is another request (another cache entry).
        Assert.NotEqual(p.RequestHash, RequestValidation.Generation(new GenerationRequest { Prompt = "a red circle" }, Model).Value!.RequestHash);
        var caption = RequestValidation.Sampling((int?)null, null).Value!;
        Assert.Equal((8, 3.5), model.Resolve(caption));
    }

    [Fact]
    public void MinimalRequestGetsTheDocumentedDefaults()
    {
        var result = Validate(new GenerationRequest { Prompt = "  a red circle  " });
        Assert.True(result.IsValid);
        var p = result.Value!;
        Assert.Equal("a red circle", p.Prompt);
        Assert.Equal(1, p.Count);
        Assert.Equal(256, p.Size);
        Assert.Equal(PaperSampling.Steps, p.Steps);
        Assert.Equal(PaperSampling.GuidanceScale, p.GuidanceScale);
        Assert.Equal(ResponseFormat.B64Json, p.ResponseFormat);
        Assert.Null(p.TextNoise); // the served model's own
        Assert.Equal("v1", p.ModelVersion);
        Assert.Matches("^[0-9a-f]{64}$", p.RequestHash);
    }

    [Fact]
    public void EveryFieldAtItsLimitIsAccepted()
    {
        var result = Validate(new GenerationRequest
        {
            Prompt = new string('x', Limits.MaxPromptCharacters), N = Limits.MaxImages, Size = "256x256", ResponseFormat = "url",
            Seed = long.MaxValue, Steps = Limits.MaxSteps, GuidanceScale = Limits.MaxGuidance, TextNoise = Limits.MaxTextNoise,
            Model = "dall-e-3", User = "u", Quality = "hd", Style = "vivid",
        });
        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        Assert.Equal(ResponseFormat.Url, result.Value!.ResponseFormat);
        Assert.Equal(long.MaxValue, result.Value.Seed);
        Assert.Equal(Limits.MaxTextNoise, result.Value.TextNoise);
    }

    [Fact]
    public void MissingPromptIsRejected() => RejectsField(new GenerationRequest(), "prompt", "required");

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n")]
    public void EmptyPromptIsRejected(string prompt) => RejectsField(new GenerationRequest { Prompt = prompt }, "prompt", "empty");

    [Fact]
    public void OversizedPromptIsRejected() =>
        RejectsField(new GenerationRequest { Prompt = new string('x', Limits.MaxPromptCharacters + 1) }, "prompt", "at most 1000");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(Limits.MaxImages + 1)]
    public void CountOutOfRangeIsRejected(int n) => RejectsField(new GenerationRequest { Prompt = "p", N = n }, "n");

    [Theory]
    [InlineData("256")]
    [InlineData("256x")]
    [InlineData("axb")]
    [InlineData("256X256")]
    [InlineData("0x0")]
    [InlineData(" 256x256")]
    [InlineData("-256x256")]
    public void MalformedSizeIsRejected(string size) => RejectsField(new GenerationRequest { Prompt = "p", Size = size }, "size", "256x256");

    [Theory]
    [InlineData("512x512")]
    [InlineData("256x512")]
    [InlineData("1024x1024")]
    public void UnsupportedSizeIsRejectedListingTheSupportedOnes(string size) =>
        RejectsField(new GenerationRequest { Prompt = "p", Size = size }, "size", "supported: 256x256");

    [Theory]
    [InlineData(0)]
    [InlineData(Limits.MaxSteps + 1)]
    public void StepsOutOfRangeAreRejected(int steps) => RejectsField(new GenerationRequest { Prompt = "p", Steps = steps }, "steps");

    [Theory]
    [InlineData(-0.1)]
    [InlineData(20.01)]
    public void GuidanceOutOfRangeIsRejected(double guidance) =>
        RejectsField(new GenerationRequest { Prompt = "p", GuidanceScale = guidance }, "guidance_scale");

    [Theory]
    [InlineData(-0.01)]
    [InlineData(Limits.MaxTextNoise + 0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void TextNoiseOutOfRangeIsRejected(double textNoise) =>
        RejectsField(new GenerationRequest { Prompt = "p", TextNoise = textNoise }, "text_noise", "between 0 and 4");

    [Fact]
    public void UnknownResponseFormatIsRejected() =>
        RejectsField(new GenerationRequest { Prompt = "p", ResponseFormat = "png" }, "response_format");

    [Fact]
    public void SeveralBadFieldsAreAllReported()
    {
        var result = Validate(new GenerationRequest { Prompt = "", N = 9, Steps = 0 });
        Assert.Equal(["n", "prompt", "steps"], result.Errors.Keys.Order());
    }

    [Fact]
    public void SizeIsParsedAsWidthByHeight()
    {
        Assert.Equal((640, 480), RequestValidation.ParseSize("640x480"));
        Assert.Null(RequestValidation.ParseSize("640*480"));
    }

    [Fact]
    public void FormSamplingFieldsMustBeNumbers()
    {
        Assert.True(RequestValidation.Sampling("30", "3.5").IsValid);
        Assert.True(RequestValidation.Sampling((string?)null, null).IsValid);
        Assert.Contains("steps", RequestValidation.Sampling("many", null).Errors.Keys);
        Assert.Contains("guidance_scale", RequestValidation.Sampling(null, "NaN").Errors.Keys);
        Assert.Contains("steps", RequestValidation.Sampling("0", null).Errors.Keys);
    }

    // --- JSON body parsing: unknown fields, wrong types, empty or broken bodies ---

    private static OrProblem<GenerationRequest> Parse(string json) => JsonBody.Parse<GenerationRequest>(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void SnakeCaseBodyIsRead()
    {
        var parsed = Parse("""{"prompt":"p","n":2,"size":"256x256","response_format":"url","seed":7,"steps":5,"guidance_scale":1.5,"text_noise":0.5,"model":"m","user":"u","quality":"hd","style":"natural"}""");
        Assert.Null(parsed.Problem);
        Assert.Equal(new GenerationRequest
        {
            Prompt = "p", N = 2, Size = "256x256", ResponseFormat = "url", Seed = 7, Steps = 5, GuidanceScale = 1.5, TextNoise = 0.5,
            Model = "m", User = "u", Quality = "hd", Style = "natural",
        }, parsed.Value);
    }

    [Fact]
    public void AGenerationJobCarriesEveryGenerationField()
    {
        var job = JsonBody.Parse<JobRequest>(Encoding.UTF8.GetBytes(
            """{"type":"generation","prompt":"p","n":2,"size":"256x256","seed":7,"steps":5,"guidance_scale":1.5,"text_noise":0.5,"user":"u"}""")).Value!;
        Assert.Equal(new GenerationRequest { Prompt = "p", N = 2, Size = "256x256", Seed = 7, Steps = 5, GuidanceScale = 1.5, TextNoise = 0.5, User = "u" },
            job.AsGeneration());
    }

    [Theory]
    [InlineData("""{"prompt":"p","negative_prompt":"x"}""", "negative_prompt")]
    [InlineData("""{"prompt":"p","Prompt":"q"}""", "Prompt")]
    public void UnknownFieldIsRejected(string json, string field)
    {
        var errors = Problem.FieldErrors(Parse(json).Problem);
        Assert.Equal($"unknown field '{field}'", Assert.Single(errors[field]));
    }

    [Theory]
    [InlineData("""{"prompt":5}""", "prompt")]
    [InlineData("""{"prompt":"p","n":"2"}""", "n")]
    [InlineData("""{"prompt":"p","n":1.5}""", "n")]
    [InlineData("""{"prompt":"p","seed":"42"}""", "seed")]
    [InlineData("""{"prompt":"p","guidance_scale":true}""", "guidance_scale")]
    [InlineData("""{"prompt":"p","steps":[20]}""", "steps")]
    public void WrongTypeIsRejectedNamingTheField(string json, string field)
    {
        var errors = Problem.FieldErrors(Parse(json).Problem);
        Assert.Contains("wrong type", Assert.Single(errors[field]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    [InlineData("null")]
    [InlineData("{")]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    public void EmptyOrBrokenBodyIsRejected(string json)
    {
        var parsed = Parse(json);
        Assert.Null(parsed.Value);
        Problem.HasStatus(400, parsed.Problem);
    }
}
