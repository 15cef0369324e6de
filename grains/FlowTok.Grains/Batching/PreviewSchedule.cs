namespace FlowTok.Grains.Batching;

/// <summary>
/// After which steps a row's previews are made: <c>k</c> previews of an <c>N</c>-step row follow steps floor(j N / (k + 1)),
/// j = 1..k, evenly spaced, never after step 0 or the last step (the final image follows that one). Steps that coincide
/// (few steps, many previews) give one preview, so a row may get fewer than it asked for. Plain data.
/// </summary>
public sealed class PreviewSchedule
{
    private readonly int[] steps;

    public PreviewSchedule(int totalSteps, int previews)
    {
        if (previews < 0) throw new ArgumentOutOfRangeException(nameof(previews), previews, "previews cannot be negative");
        steps = Enumerable.Range(1, previews)
            .Select(j => (int)((long)j * totalSteps / (previews + 1)))
            .Where(s => s >= 1 && s < totalSteps)
            .Distinct()
            .ToArray();
    }

    /// <summary>The steps previews follow, ascending.</summary>
    public IReadOnlyList<int> Steps => steps;

    /// <summary>The preview's 0-based index (OpenAI's <c>partial_image_index</c>) when one follows step <paramref name="stepsDone"/>.</summary>
    public int? IndexAfter(int stepsDone)
    {
        int i = Array.IndexOf(steps, stepsDone);
        return i < 0 ? null : i;
    }
}
