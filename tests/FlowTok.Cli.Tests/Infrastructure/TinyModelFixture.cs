namespace FlowTok.Cli.Tests.Infrastructure;

/// <summary>One text-to-image and one image-to-text tiny model directory, shared by a test class.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempDirectory folder = new();

    internal TinyModel Model { get; } = new();
    public string TextToImage { get; }
    public string ImageToText { get; }

    public TinyModelFixture()
    {
        TextToImage = Model.Create(folder.File("t2i"));
        ImageToText = Model.Create(folder.File("i2t"), imageToText: true);
    }

    public void Dispose() => folder.Dispose();
}
