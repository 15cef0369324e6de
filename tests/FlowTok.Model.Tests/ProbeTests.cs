namespace FlowTok.Model.Tests;
public class ProbeTests { [Fact] public void TorchLoads() => Assert.Equal("4", FlowTok.Model.Probe.Run()); }
