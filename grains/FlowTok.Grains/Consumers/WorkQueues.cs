namespace FlowTok.Grains.Consumers;

/// <summary>
/// The broker queues of work. Each served model has its own pair, "GenerateImage.{id}" and "CaptionImage.{id}", consumed
/// only by the silos that serve it; jobs send their items there. The unsuffixed pair takes published commands that name no
/// model (queued before models had ids); each model silo's first model consumes it.
/// </summary>
public static class WorkQueues
{
    public const string Generate = "GenerateImage", Caption = "CaptionImage";

    public static string GenerateFor(string model) => $"{Generate}.{model}";

    public static string CaptionFor(string model) => $"{Caption}.{model}";
}
