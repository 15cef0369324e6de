// The commands set process-wide torch state (thread count) and every test already uses all cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
