namespace FlowTok.Cli.Tests.Infrastructure;

/// <summary>One text-to-image and one image-to-text model directory over the reference fixtures, shared by a test class.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempDirectory folder = new();

    public ReferenceModel Model { get; } = new();
    public string TextToImage { get; }
    public string ImageToText { get; }

    public TinyModelFixture()
    {
        TextToImage = Model.WriteModelDirectory(folder.File("t2i")).Root;
        ImageToText = Model.WriteModelDirectory(folder.File("i2t"), imageToText: true).Root;
    }

    public void Dispose() => folder.Dispose();
}
