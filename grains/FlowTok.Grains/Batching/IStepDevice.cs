namespace FlowTok.Grains.Batching;

/// <summary>
/// A device backend for one task kind, driven one sampler step at a time by the replica's step loop (always from one
/// thread). Rows at different steps, with different settings, share each call. Every call is all or nothing: when it
/// throws, no row changed (the loop then retries rows alone, so a row that fails fails alone; see <see cref="RowIsolation"/>).
/// Implementations: the bundled model through libtorch (<see cref="TorchGenerationDevice"/>, <see cref="TorchCaptionDevice"/>)
/// and a simulated device that takes wall time by a cost model (<see cref="SimulatedStepDevice"/>).
/// </summary>
public interface IStepDevice : IDisposable
{
    RowKind Kind { get; }

    /// <summary>Rows join: their inputs are encoded into their starting latents (prompts through CLIP and the text VAE
    /// unless cached, images through the image tokenizer), kept in <see cref="StepRow.State"/>.</summary>
    void Start(IReadOnlyList<StepRow> rows);

    /// <summary>One Euler step for every row, each at its own step with its own guidance and step size, in one forward.</summary>
    void Step(IReadOnlyList<StepRow> rows);

    /// <summary>Decodes rows that did their last step: one output per row (a <see cref="Models.GeneratedImage"/> or a caption).</summary>
    IReadOnlyList<object> Finish(IReadOnlyList<StepRow> rows);

    /// <summary>
    /// Previews of rows whose last step was one of their <see cref="PreviewSchedule"/>'s: one PNG per row of the model's
    /// current estimate of the final image (x_t + (1 - t) v, v the velocity of the step just taken, decoded). Reads the
    /// rows' state and never changes their latents, so a row's final image is the same with or without previews.
    /// </summary>
    IReadOnlyList<byte[]> Preview(IReadOnlyList<StepRow> rows) =>
        throw new NotSupportedException($"{Kind} rows have no previews");

    /// <summary>Frees a row's state (it finished, failed or was cancelled).</summary>
    void Release(StepRow row);
}
