using FlowTok.Contracts.Messages;

namespace FlowTok.Contracts.Models;

/// <summary>
/// One FlowTok replica on one compute device, keyed "{silo}/{device}" (e.g. "node-a/cpu:0") and placed only on that silo.
/// Loads its checkpoint once and keeps it; batches concurrent calls dynamically. Results go to the file store; calls
/// return ids and captions, never bytes.
/// </summary>
public interface IModelGrain : IGrainWithStringKey
{
    Task<ModelDescriptor> DescribeAsync();

    /// <summary>Generates one image and stores its PNG; returns the file id. Throws <see cref="OperationCanceledException"/> if the job is cancelled first.</summary>
    Task<string> GenerateAsync(GenerateImage work);

    Task<string> CaptionAsync(CaptionImage work);

    Task<ModelStats> GetStatsAsync();

    /// <summary>1 + the items queued before the job's first waiting item on this replica (arrival order); null when none waits here.</summary>
    Task<int?> GetQueuePositionAsync(string jobId);
}

public static class ModelGrainKey
{
    public static string For(string silo, string device) => $"{silo}/{device}";

    public static (string Silo, string Device) Parse(string key)
    {
        int slash = key.LastIndexOf('/');
        if (slash <= 0 || slash == key.Length - 1)
            throw new ArgumentException($"model grain key '{key}' is not '<silo>/<device>'", nameof(key));
        return (key[..slash], key[(slash + 1)..]);
    }
}
