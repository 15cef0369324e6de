using FlowTok.Model.Training.Contrastive;

namespace FlowTok.Model.Tests.Training.Contrastive;

public sealed class RetrievalAccuracyTests
{
    [Fact]
    public void TopOneCountsBothWays()
    {
        // Image 0 and caption 0 match; image 1 prefers caption 2; caption 2 prefers image 1.
        float[,] similarities =
        {
            { 0.9f, 0.1f, 0.2f },
            { 0.1f, 0.5f, 0.6f },
            { 0.0f, 0.3f, 0.4f },
        };
        var accuracy = ClipScore.Retrieval(similarities, ["a", "b", "c"]);

        Assert.Equal(2.0 / 3, accuracy.ImageToText, 9); // images 0 and 2
        Assert.Equal(2.0 / 3, accuracy.TextToImage, 9); // captions 0 and 1 (0.5 > 0.3); caption 2 prefers image 1
        Assert.Equal(3, accuracy.Count);
    }

    [Fact]
    public void RepeatedCaptionsAreOneAnswerAndTiesAreMisses()
    {
        // Images 0 and 1 share a caption: each may rank the other's copy first.
        float[,] similarities =
        {
            { 0.2f, 0.8f, 0.1f },
            { 0.8f, 0.2f, 0.1f },
            { 0.5f, 0.5f, 0.5f },
        };
        var accuracy = ClipScore.Retrieval(similarities, ["red", "red", "blue"]);

        Assert.Equal(2.0 / 3, accuracy.ImageToText, 9); // image 2 ties with "red"
        Assert.Equal(1.0, accuracy.TextToImage, 9);
    }
}
