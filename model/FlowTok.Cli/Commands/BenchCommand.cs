using System.CommandLine;
using System.Diagnostics;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Cli.Commands;

/// <summary>
/// `flowtok bench`: ms per flow-transformer forward and images/s (batched 2B guidance vs two passes) for several
/// sizes, batches and dtypes, then the whole text-to-image pipeline at a published configuration. Random weights:
/// speed does not depend on their values.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var sizes = new Option<string[]>("--sizes") { Description = "Flow transformer sizes: tiny (64/2/4), S, B, L, XL, H", DefaultValueFactory = _ => ["tiny", "B"], AllowMultipleArgumentsPerToken = true };
        var batches = new Option<int[]>("--batches") { Description = "Batch sizes (images) for the flow transformer", DefaultValueFactory = _ => [1, 8, 32], AllowMultipleArgumentsPerToken = true };
        var dtypes = new Option<string[]>("--dtypes") { Description = "fp32 and/or bf16", DefaultValueFactory = _ => ["fp32", "bf16"], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "Timed forwards per measurement (after one warm-up)", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "Sampling steps for images/s and the pipeline", DefaultValueFactory = _ => 20 };
        var skipFlow = new Option<bool>("--skip-flow") { Description = "Only run the pipeline benchmark" };
        var skipPipeline = new Option<bool>("--skip-pipeline") { Description = "Only run the flow transformer benchmark" };
        var pipelineBatch = new Option<int>("--pipeline-batch") { Description = "Images per pipeline run", DefaultValueFactory = _ => 4 };
        var pipelineFlow = new Option<string>("--pipeline-flow") { Description = "Flow size of the pipeline benchmark", DefaultValueFactory = _ => "B" };
        var pipelineRes = new Option<int>("--pipeline-resolution") { Description = "Image size of the pipeline benchmark", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };

        var command = new Command("bench", "Benchmark the flow transformer and the whole text-to-image pipeline (random weights)")
        {
            sizes, batches, dtypes, repeats, steps, skipFlow, skipPipeline, pipelineBatch, pipelineFlow, pipelineRes, threads,
        };
        command.SetAction(parse =>
        {
            torch.set_num_threads(parse.GetValue(threads));
            var types = parse.GetValue(dtypes)!.Select(ComputePrecision.Parse).ToArray();
            Console.WriteLine($"flowtok bench: {Environment.ProcessorCount} cores, {torch.get_num_threads()} threads, libtorch CPU, kernels {CpuFeatures.Current}");
            var peaks = types.ToDictionary(t => t, MatmulPeak);
            foreach (var (dtype, peak) in peaks)
                Console.WriteLine($"  measured peak ({ComputePrecision.Name(dtype)} {PeakSize}x{PeakSize} matmul): {peak:F0} GFLOP/s");
            if (!parse.GetValue(skipFlow))
                FlowTable(parse.GetValue(sizes)!, parse.GetValue(batches)!, types, parse.GetValue(repeats), parse.GetValue(steps));
            if (!parse.GetValue(skipPipeline))
                foreach (var dtype in types)
                    PipelineRun(parse.GetValue(pipelineFlow)!, parse.GetValue(pipelineRes), parse.GetValue(pipelineBatch), parse.GetValue(steps), dtype, peaks[dtype]);
            return 0;
        });
        return command;
    }

    private static FlowTransformerConfig FlowSize(string name) =>
        name.Equals("tiny", StringComparison.OrdinalIgnoreCase) ? new FlowTransformerConfig { Hidden = 64, Depth = 2, Heads = 4 } : FlowTransformerConfig.Named(name);

    private static void FlowTable(string[] sizes, int[] batches, ScalarType[] types, int repeats, int steps)
    {
        Console.WriteLine();
        Console.WriteLine($"Flow transformer, one guided step = cond + null at batch B; images/s at {steps} steps");
        Console.WriteLine($"{"size",-5} {"dtype",-5} {"B",4} | {"fwd ms (B)",11} {"fwd ms (2B)",12} | {"step ms 2-pass",15} {"step ms batched",16} | {"img/s 2-pass",13} {"img/s batched",14}");
        foreach (var size in sizes)
        {
            var config = FlowSize(size);
            foreach (var dtype in types)
            {
                using var flow = new FlowTransformer(config);
                flow.to(dtype).eval();
                foreach (int b in batches)
                {
                    double single = TimeForward(flow, config, b, dtype, repeats);
                    double doubled = TimeForward(flow, config, 2 * b, dtype, repeats);
                    double twoPass = 2 * single;
                    Console.WriteLine($"{size,-5} {ComputePrecision.Name(dtype),-5} {b,4} | {single,11:F2} {doubled,12:F2} | {twoPass,15:F2} {doubled,16:F2} | {b / (steps * twoPass / 1000),13:F2} {b / (steps * doubled / 1000),14:F2}");
                }
            }
        }
    }

    private static double TimeForward(FlowTransformer flow, FlowTransformerConfig config, int batch, ScalarType dtype, int repeats)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(batch, config.Tokens, config.Channels).to(dtype);
        var t = torch.full(batch, 0.5f);
        var y = torch.zeros(batch, dtype: ScalarType.Int64);
        using (var warm = torch.NewDisposeScope()) flow.forward(x, t, y);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++)
        {
            using var s = torch.NewDisposeScope();
            flow.forward(x, t, y);
        }
        return sw.Elapsed.TotalMilliseconds / repeats;
    }

    private const int PeakSize = 2048;

    /// <summary>GFLOP/s of a plain square matmul in <paramref name="dtype"/>: what this CPU's kernels reach at best.</summary>
    private static double MatmulPeak(ScalarType dtype) => MatmulProbe.Rate(dtype, PeakSize, repeats: 5);

    /// <summary>Matrix-product GFLOP of one image: 2 x (weights of every per-token linear or convolution layer) x tokens through
    /// them, plus 4 x tokens^2 x width per attention layer; CLIP and the text VAE once, the flow transformer twice per
    /// step (cond + null), the tokenizer's decoder once.</summary>
    private static double GflopPerImage(ClipTextConfig clip, TextVaeConfig vae, FlowTransformerConfig flow, ImageTokenizerConfig tokenizer,
        IReadOnlyList<nn.Module> modules, int steps)
    {
        static double Weights(nn.Module m) => m.named_parameters()
            .Where(p => p.parameter.dim() >= 2 && !p.name.Contains("embedding") && !p.name.Contains("mask_token") && !p.name.Contains("latent_tokens")
                        // per sample, not per token: the timestep and class embedders and the adaLN modulation
                        && !p.name.Contains("adaLN_modulation") && !p.name.Contains("t_embedder") && !p.name.Contains("y_embedder"))
            .Sum(p => (double)p.parameter.numel());
        static double Attention(int layers, double tokens, int width) => 4.0 * layers * tokens * tokens * width;
        int clipTokens = clip.ContextLength;
        double decoderTokens = tokenizer.Grid * tokenizer.Grid + tokenizer.LatentTokens + tokenizer.TextTokens;
        double decoderWeights = modules[3].named_parameters().Where(p => p.name.StartsWith("decoder.") && p.parameter.dim() >= 2 && !p.name.Contains("embedding") && !p.name.Contains("mask_token"))
            .Sum(p => (double)p.parameter.numel());
        double flops = 2 * Weights(modules[0]) * clipTokens + Attention(clip.Layers, clipTokens, clip.Width)
                     + 2 * Weights(modules[1]) * clipTokens + Attention(vae.Blocks, clipTokens, vae.Width)
                     + 2 * steps * (2 * Weights(modules[2]) * flow.Tokens + Attention(flow.Depth, flow.Tokens, flow.Hidden))
                     + 2 * decoderWeights * decoderTokens + Attention(tokenizer.Decoder.Layers, decoderTokens, tokenizer.Decoder.Width);
        return flops / 1e9;
    }

    private static void PipelineRun(string flowSize, int resolution, int batch, int steps, ScalarType dtype, double peak)
    {
        Console.WriteLine();
        Console.WriteLine($"Text-to-image pipeline: CLIP ViT-L/14 text, FlowTok-{flowSize}, FlowTiTok base encoder / large decoder at {resolution} px, {steps} steps, guidance 2, batch {batch}, {ComputePrecision.Name(dtype)}");
        var merges = Locate("clip", "bpe_simple_vocab_16e6.txt.gz");
        var clipConfig = ClipTextConfig.VitL14_336;
        var vaeConfig = TextVaeConfig.FlowTok;
        var flowConfig = FlowTransformerConfig.Named(flowSize);
        var tokenizerConfig = new ImageTokenizerConfig { ImageSize = resolution };
        nn.Module[] modules =
        [
            Convert(new ClipTextTransformer(clipConfig), dtype), Convert(new TextVae(vaeConfig), dtype),
            Convert(new FlowTransformer(flowConfig), dtype), Convert(new FlowTiTok(tokenizerConfig), dtype),
        ];
        double gflop = GflopPerImage(clipConfig, vaeConfig, flowConfig, tokenizerConfig, modules, steps);
        using var pipeline = new TextToImagePipeline(ClipTokenizer.FromOpenAiMergesGz(merges), (ClipTextTransformer)modules[0],
            (TextVae)modules[1], (FlowTransformer)modules[2], (FlowTiTok)modules[3]);
        var prompts = Enumerable.Range(0, batch).Select(i => $"a photo of a red circle number {i} on a blue background").ToArray();
        var seeds = Enumerable.Range(0, batch).Select(i => (long)i).ToArray();
        var options = new GenerationOptions { Steps = steps };

        for (int run = 0; run < 2; run++) // run 0 warms up allocators and kernels
        {
            using var scope = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            using var encoding = pipeline.EncodePrompt(prompts);
            var zText = pipeline.PrepareLatents(encoding, seeds);
            double encodeMs = sw.Elapsed.TotalMilliseconds;
            var zImage = pipeline.Sample(zText, options);
            double sampleMs = sw.Elapsed.TotalMilliseconds - encodeMs;
            var images = pipeline.Decode(zImage, encoding.ClipStates);
            double decodeMs = sw.Elapsed.TotalMilliseconds - encodeMs - sampleMs;
            var png = ImageIo.ToPngs(images);
            double totalMs = sw.Elapsed.TotalMilliseconds;
            if (run == 1)
            {
                double secondsPerImage = totalMs / 1000 / batch;
                Console.WriteLine($"  {ComputePrecision.Name(dtype)}: {secondsPerImage:F2} s/image ({batch / (totalMs / 1000):F3} images/s); text encode {encodeMs:F0} ms, sampling {sampleMs:F0} ms, decode {decodeMs:F0} ms, PNG {totalMs - encodeMs - sampleMs - decodeMs:F0} ms (whole batch)");
                Console.WriteLine($"  {ComputePrecision.Name(dtype)}: about {gflop:F0} GFLOP/image, {gflop / secondsPerImage:F0} GFLOP/s achieved = {gflop / secondsPerImage / peak:P0} of the measured {ComputePrecision.Name(dtype)} matmul peak ({peak:F0} GFLOP/s); floor at peak {gflop / peak:F2} s/image");
            }
        }
    }

    private static T Convert<T>(T module, ScalarType dtype) where T : nn.Module
    {
        if (dtype != ScalarType.Float32) module.to(dtype);
        module.eval();
        return module;
    }

    /// <summary>Finds ../shared/&lt;parts&gt; beside the repository (or FLOWTOK_SHARED_DIR).</summary>
    private static string Locate(params string[] parts)
    {
        var configured = Environment.GetEnvironmentVariable("FLOWTOK_SHARED_DIR");
        if (!string.IsNullOrWhiteSpace(configured)) return Path.Combine([configured, .. parts]);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine([dir.FullName, "..", "shared", .. parts]);
                if (File.Exists(Path.Combine(dir.FullName, "FlowTok.Platform.sln")) && File.Exists(candidate)) return Path.GetFullPath(candidate);
            }
        throw new FileNotFoundException($"{Path.Combine(parts)} not found in ../shared beside the repository; set FLOWTOK_SHARED_DIR");
    }
}
