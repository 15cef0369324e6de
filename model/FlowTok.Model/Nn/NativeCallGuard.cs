using System.Runtime;

namespace FlowTok.Model.Nn;

/// <summary>
/// Runs tensor work with the garbage collector held off. TorchSharp's operators create temporary Scalars (e.g. the
/// alpha of every <c>a + b</c>) whose last managed reference dies once their native handle is read; a collection
/// during the native call can finalize one while libtorch still reads it (seen as sporadic "toFloat" check failures
/// deep in training). Inside a no-GC region no collection happens, so collections fall between units of work where
/// no native call is in flight.
/// </summary>
public static class NativeCallGuard
{
    /// <summary>Managed allocation allowed inside one region: Tensor wrappers are small, a step makes a few MB.</summary>
    public const long Budget = 128L * 1024 * 1024;

    public static T Run<T>(Func<T> work)
    {
        bool entered = false;
        // Inside a region already (a nested guard, or another thread's): that region protects this work too. Asking
        // again would END it (the runtime throws and leaves the region), and every start costs a full collection.
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            try
            {
                entered = GC.TryStartNoGCRegion(Budget);
            }
            catch (InvalidOperationException)
            {
                // Another thread started one between the check and the call.
            }
        }
        try
        {
            return work();
        }
        finally
        {
            // The region is process-wide: it ends by itself if the work allocated more than the budget, and another
            // thread's guard may have ended it; either way there is nothing left to end.
            if (entered && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                try
                {
                    GC.EndNoGCRegion();
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    }
}
