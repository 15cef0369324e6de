namespace FlowTok.Model.Tests;

/// <summary>For tests that compare two modules built after the same <c>torch.manual_seed</c>: the global generator is
/// process-wide, and a test class running in parallel draws from it between the two constructions.</summary>
[CollectionDefinition(nameof(GlobalGeneratorCollection), DisableParallelization = true)]
public sealed class GlobalGeneratorCollection;
