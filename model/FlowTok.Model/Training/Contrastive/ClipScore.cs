using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;
using FlowTok.Model.Text;
using FlowTok.Model.Training.Vocabulary;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Contrastive;

/// <summary>Top-1 retrieval accuracy both ways over a set of images and their captions.</summary>
/// <param name="ImageToText">Share of images whose own caption scores higher than every other caption.</param>
/// <param name="TextToImage">Share of captions whose own image scores higher than every other image.</param>
/// <param name="Count">Number of (image, caption) pairs.</param>
public readonly record struct RetrievalAccuracy(double ImageToText, double TextToImage, int Count);

/// <summary>
/// The project's CLIP-score evaluator: the contrastively trained text and image towers judge how well an image
/// matches a caption. CLIP score = 100 x max(cos(image, caption), 0), as torchmetrics' <c>CLIPScore</c>.
/// </summary>
/// <remarks>
/// On disk (<see cref="Save"/>, <see cref="Load"/>): <c>tokenizer/</c> (<c>vocab.json</c>, <c>merges.txt</c>),
/// <c>text_encoder/</c> and <c>image_encoder/</c> (each <c>config.json</c> + <c>model.safetensors</c>), the component
/// layout of a model directory, so the text encoder folder also serves as FlowTok's <c>text_encoder</c>.
/// Embeddings are computed without gradients, in chunks of <see cref="ChunkSize"/>. Not thread-safe.
/// </remarks>
public sealed class ClipScore : IDisposable
{
    public const string TokenizerFolder = "tokenizer";
    public const int ChunkSize = 256;

    private readonly bool ownsEncoders;

    public ClipScore(ClipTokenizer tokenizer, ClipTextTransformer text, ClipImageEncoder image) : this(tokenizer, text, image, ownsEncoders: false)
    {
    }

    private ClipScore(ClipTokenizer tokenizer, ClipTextTransformer text, ClipImageEncoder image, bool ownsEncoders)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(image);
        if (text.Config.ProjectionDim != image.Config.ProjectionDim)
            throw new ArgumentException($"text projection {text.Config.ProjectionDim?.ToString() ?? "(none)"} does not match image projection {image.Config.ProjectionDim}");
        if (tokenizer.ContextLength != text.Config.ContextLength || tokenizer.VocabSize > text.Config.VocabSize)
            throw new ArgumentException($"tokenizer (context {tokenizer.ContextLength}, {tokenizer.VocabSize} tokens) does not fit the text encoder ({text.Config})");
        Tokenizer = tokenizer;
        Text = text;
        Image = image;
        this.ownsEncoders = ownsEncoders;
    }

    public ClipTokenizer Tokenizer { get; }
    public ClipTextTransformer Text { get; }
    public ClipImageEncoder Image { get; }

    /// <summary>Writes the evaluator: the vocabulary's tokenizer files and both towers with their configs.</summary>
    public static void Save(string directory, BpeVocabulary vocabulary, ClipTextTransformer text, ClipImageEncoder image)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        vocabulary.Save(Path.Combine(directory, TokenizerFolder));
        ModelDirectory.SaveComponent(Path.Combine(directory, ContrastiveClipTrainer.TextEncoderName), text.Config, text);
        ModelDirectory.SaveComponent(Path.Combine(directory, ContrastiveClipTrainer.ImageEncoderName), image.Config, image);
    }

    /// <summary>Loads an evaluator written by <see cref="Save"/>; every weight must be present with its shape.</summary>
    public static ClipScore Load(string directory)
    {
        string textFolder = Path.Combine(directory, ContrastiveClipTrainer.TextEncoderName);
        string imageFolder = Path.Combine(directory, ContrastiveClipTrainer.ImageEncoderName);
        var textConfig = ComponentConfig.Load<ClipTextConfig>(Path.Combine(textFolder, ModelDirectory.ConfigFileName));
        var imageConfig = ComponentConfig.Load<ClipImageConfig>(Path.Combine(imageFolder, ModelDirectory.ConfigFileName));
        var tokenizer = ClipTokenizer.FromDirectory(Path.Combine(directory, TokenizerFolder), textConfig.ContextLength);

        var text = new ClipTextTransformer(textConfig);
        var image = new ClipImageEncoder(imageConfig);
        try
        {
            StateDict.LoadFile(text, Path.Combine(textFolder, ModelDirectory.WeightsFileName));
            StateDict.LoadFile(image, Path.Combine(imageFolder, ModelDirectory.WeightsFileName));
            return new ClipScore(tokenizer, text, image, ownsEncoders: true);
        }
        catch
        {
            text.Dispose();
            image.Dispose();
            throw;
        }
    }

    /// <summary>Captions -> unit-length text embeddings [N, projection].</summary>
    public Tensor EmbedCaptions(IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(captions);
        if (captions.Count == 0) throw new ArgumentException("no captions to embed", nameof(captions));
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var device = Text.LogitScale.device;
        var chunks = new List<Tensor>();
        for (int start = 0; start < captions.Count; start += ChunkSize)
        {
            var chunk = captions.Skip(start).Take(ChunkSize).ToArray();
            var ids = TokenIds.ToTensor(Tokenizer.EncodeBatch(chunk), device);
            chunks.Add(Text.EncodePooled(ids, Text.forward(ids)));
        }
        return nn.functional.normalize(torch.cat(chunks, 0).to(ScalarType.Float32), dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Images [N, 3, S, S] in [0, 1] -> unit-length image embeddings [N, projection].</summary>
    public Tensor EmbedImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var device = Text.LogitScale.device;
        var chunks = new List<Tensor>();
        for (long start = 0; start < images.shape[0]; start += ChunkSize)
        {
            var chunk = images.narrow(0, start, Math.Min(ChunkSize, images.shape[0] - start));
            chunks.Add(Image.forward(chunk.to(device)));
        }
        return nn.functional.normalize(torch.cat(chunks, 0).to(ScalarType.Float32), dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Cosine similarity of every image with every caption, [images, captions].</summary>
    public float[,] Similarities(Tensor images, IReadOnlyList<string> captions)
    {
        using var scope = torch.NewDisposeScope();
        var similarity = EmbedImages(images).matmul(EmbedCaptions(captions).t()).cpu();
        int rows = (int)similarity.shape[0], columns = (int)similarity.shape[1];
        var flat = similarity.data<float>().ToArray();
        var result = new float[rows, columns];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }

    /// <summary>CLIP score of each (image i, caption i) pair: 100 x max(cosine, 0).</summary>
    public float[] Score(Tensor images, IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(captions);
        if (images.shape[0] != captions.Count)
            throw new ArgumentException($"{images.shape[0]} images but {captions.Count} captions: CLIP score compares pairs");
        using var scope = torch.NewDisposeScope();
        var cosine = (EmbedImages(images) * EmbedCaptions(captions)).sum(1);
        return (cosine * 100).clamp_min(0).cpu().data<float>().ToArray();
    }

    /// <summary>Top-1 retrieval accuracy of images and their captions (pairs by index) against each other.</summary>
    public RetrievalAccuracy Retrieval(Tensor images, IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(captions);
        if (images.shape[0] != captions.Count)
            throw new ArgumentException($"{images.shape[0]} images but {captions.Count} captions: retrieval needs one caption per image");
        return Retrieval(Similarities(images, captions), captions);
    }

    /// <summary>
    /// Top-1 retrieval from a similarity matrix [images, captions] whose diagonal holds the true pairs. A caption that
    /// occurs several times is one answer: an image is right when its caption's text beats every different text, and a
    /// caption is right when one of the images with that caption beats every image captioned otherwise. Ties are misses.
    /// </summary>
    public static RetrievalAccuracy Retrieval(float[,] similarities, IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(similarities);
        ArgumentNullException.ThrowIfNull(captions);
        int n = captions.Count;
        if (similarities.GetLength(0) != n || similarities.GetLength(1) != n)
            throw new ArgumentException($"similarities are [{similarities.GetLength(0)}, {similarities.GetLength(1)}], expected [{n}, {n}]");
        if (n == 0) return new RetrievalAccuracy(0, 0, 0);

        int imageToText = 0, textToImage = 0;
        for (int i = 0; i < n; i++)
        {
            float ownCaption = float.NegativeInfinity, otherCaption = float.NegativeInfinity;
            float ownImage = float.NegativeInfinity, otherImage = float.NegativeInfinity;
            for (int j = 0; j < n; j++)
            {
                bool same = string.Equals(captions[i], captions[j], StringComparison.Ordinal);
                if (same)
                {
                    ownCaption = Math.Max(ownCaption, similarities[i, j]);
                    ownImage = Math.Max(ownImage, similarities[j, i]);
                }
                else
                {
                    otherCaption = Math.Max(otherCaption, similarities[i, j]);
                    otherImage = Math.Max(otherImage, similarities[j, i]);
                }
            }
            if (ownCaption > otherCaption) imageToText++;
            if (ownImage > otherImage) textToImage++;
        }
        return new RetrievalAccuracy((double)imageToText / n, (double)textToImage / n, n);
    }

    public void Dispose()
    {
        if (!ownsEncoders) return;
        Text.Dispose();
        Image.Dispose();
    }
}
