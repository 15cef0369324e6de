using FlowTok.Gateway.Requests;

namespace FlowTok.Gateway.Tests;

public class CanonicalRequestTests
{
    private static readonly ServedModel Model = new("v1", 256, [256, 512]);

    private static GenerationRequest Base => new() { Prompt = "a red circle", N = 2, Size = "256x256", Seed = 42, Steps = 20, GuidanceScale = 2.0 };

    private static GenerationParameters Valid(GenerationRequest request, ServedModel? model = null)
    {
        var result = RequestValidation.Generation(request, model ?? Model);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        return result.Value!;
    }

    [Fact]
    public void SameRequestGivesSameHash() => Assert.Equal(Valid(Base).RequestHash, Valid(Base).RequestHash);

    [Fact]
    public void ResponseFormatAndOpenAiExtrasDoNotChangeTheHash()
    {
        // The same images either way: the cache serves both.
        string hash = Valid(Base).RequestHash;
        Assert.Equal(hash, Valid(Base with { ResponseFormat = "url", Model = "dall-e-2", User = "someone", Quality = "hd", Style = "vivid" }).RequestHash);
    }

    [Fact]
    public void SurroundingWhitespaceOfThePromptDoesNotChangeTheHash() =>
        Assert.Equal(Valid(Base).RequestHash, Valid(Base with { Prompt = "  a red circle\n" }).RequestHash);

    public static TheoryData<string, GenerationRequest> Changes() => new()
    {
        { "prompt", Base with { Prompt = "a red square" } },
        { "prompt case", Base with { Prompt = "A red circle" } },
        { "n", Base with { N = 3 } },
        { "size", Base with { Size = "512x512" } },
        { "seed", Base with { Seed = 43 } },
        { "steps", Base with { Steps = 21 } },
        { "guidance", Base with { GuidanceScale = 2.5 } },
        { "text noise", Base with { TextNoise = 1 } },
    };

    [Fact]
    public void TextNoiseZeroAndTheModelsOwnAreDifferentRequests()
    {
        // Null means whatever the model's index says, which need not be 0; naming a value is another request.
        Assert.NotEqual(Valid(Base).RequestHash, Valid(Base with { TextNoise = 0 }).RequestHash);
        Assert.NotEqual(Valid(Base with { TextNoise = 0 }).RequestHash, Valid(Base with { TextNoise = 0.5 }).RequestHash);
    }

    [Fact]
    public void RequestsWithoutTextNoiseKeepTheirHashAndSeed()
    {
        // Outputs cached before the field existed are still found: the canonical form without it is unchanged.
        Assert.Equal("""["generation","a red circle",2,"256x256",42,20,2,"v1"]""", CanonicalRequest.Generation("a red circle", 2, 256, 42, 20, 2.0, "v1"));
        Assert.Equal(CanonicalRequest.Hash("""["generation","a red circle",2,"256x256",42,20,2,"v1"]"""), Valid(Base).RequestHash);
        var unseeded = Valid(Base with { Seed = null });
        Assert.Equal(unseeded.Seed, CanonicalRequest.DefaultSeed("a red circle", 2, 256, 20, 2.0, "v1"));
        Assert.NotEqual(unseeded.Seed, Valid(Base with { Seed = null, TextNoise = 1 }).Seed);
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void AnyFieldChangeGivesADifferentHash(string field, GenerationRequest changed) =>
        Assert.True(Valid(Base).RequestHash != Valid(changed).RequestHash, $"changing {field} kept the hash");

    [Fact]
    public void ModelVersionChangesTheHash() =>
        Assert.NotEqual(Valid(Base).RequestHash, Valid(Base, Model with { Version = "v2" }).RequestHash);

    [Fact]
    public void DefaultSeedIsDeterministicPerRequest()
    {
        var unseeded = Base with { Seed = null };
        var first = Valid(unseeded);
        var again = Valid(unseeded);
        Assert.Equal(first.Seed, again.Seed);
        Assert.Equal(first.RequestHash, again.RequestHash);
        Assert.InRange(first.Seed, 0, (1L << 53) - 1);
        Assert.NotEqual(first.Seed, Valid(unseeded with { Prompt = "a blue circle" }).Seed);
        Assert.NotEqual(first.Seed, Valid(unseeded with { Steps = 30 }).Seed);
    }

    [Fact]
    public void NamingTheDefaultSeedIsTheSameRequest()
    {
        var unseeded = Valid(Base with { Seed = null });
        Assert.Equal(unseeded.RequestHash, Valid(Base with { Seed = unseeded.Seed }).RequestHash);
    }

    [Fact]
    public void PromptFieldsCannotBleedIntoEachOther()
    {
        // A delimiter-joined canonical string would make these equal.
        string a = CanonicalRequest.Generation("a\",1", 1, 256, 1, 20, 2, "v1");
        string b = CanonicalRequest.Generation("a", 1, 256, 1, 20, 2, "v1");
        Assert.NotEqual(CanonicalRequest.Hash(a), CanonicalRequest.Hash(b));
    }

    [Fact]
    public void CaptionHashDependsOnImageAndSettings()
    {
        string Hash(byte[] image, int steps = 20, double guidance = 2, string version = "v1") =>
            CanonicalRequest.Hash(CanonicalRequest.Caption(image, steps, guidance, version));
        byte[] image = [1, 2, 3];
        Assert.Equal(Hash(image), Hash([1, 2, 3]));
        Assert.NotEqual(Hash(image), Hash([1, 2, 4]));
        Assert.NotEqual(Hash(image), Hash(image, steps: 21));
        Assert.NotEqual(Hash(image), Hash(image, guidance: 3));
        Assert.NotEqual(Hash(image), Hash(image, version: "v2"));
    }
}
