using FlowTok.Contracts;
using FlowTok.Gateway.Requests;

namespace FlowTok.Gateway.Tests;

/// <summary>The streaming fields of a generation: <c>stream</c> and <c>partial_images</c> (OpenAI's).</summary>
public class StreamingValidationTests
{
    private static readonly ServedModel Model = new("v1", 64, [64]);

    private static Validated<GenerationParameters> Validate(GenerationRequest request) => RequestValidation.Generation(request, Model);

    [Fact]
    public void StreamingIsOffAndMakesNoPreviewsByDefault()
    {
        var p = Validate(new GenerationRequest { Prompt = "a red circle" }).Value!;
        Assert.False(p.Stream);
        Assert.Equal(0, p.PartialImages);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Limits.MaxPartialImages)]
    public void PartialImagesInRangeAreAcceptedAndDoNotChangeTheRequestHash(int partialImages)
    {
        var plain = Validate(new GenerationRequest { Prompt = "a red circle", Seed = 3 }).Value!;
        var streamed = Validate(new GenerationRequest { Prompt = "a red circle", Seed = 3, Stream = true, PartialImages = partialImages }).Value!;
        Assert.True(streamed.Stream);
        Assert.Equal(partialImages, streamed.PartialImages);
        // The images do not depend on streaming: the same output-cache entry and the same default seed.
        Assert.Equal(plain.RequestHash, streamed.RequestHash);
        Assert.Equal(Validate(new GenerationRequest { Prompt = "a red circle" }).Value!.Seed,
            Validate(new GenerationRequest { Prompt = "a red circle", Stream = true, PartialImages = 2 }).Value!.Seed);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(Limits.MaxPartialImages + 1)]
    public void PartialImagesOutOfRangeAreAFieldError(int partialImages)
    {
        var result = Validate(new GenerationRequest { Prompt = "a red circle", Stream = true, PartialImages = partialImages });
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors["partial_images"], m => m.Contains("between 0 and 3", StringComparison.Ordinal));
    }

    [Fact]
    public void AStreamCannotAnswerWithLinks()
    {
        var result = Validate(new GenerationRequest { Prompt = "a red circle", Stream = true, ResponseFormat = "url" });
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors["response_format"], m => m.Contains("cannot be streamed", StringComparison.Ordinal));
    }
}
