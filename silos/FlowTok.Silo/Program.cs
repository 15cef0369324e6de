using FlowTok.Silo.Hosting;

// flowtok-platform: one process runs it all on one machine (embedded Redis, in-memory bus, the bundled model on CPU).
var app = PlatformHost.CreateBuilder(args).Build();
app.MapPlatform();
await app.RunAsync();

/// <summary>Entry point type (tests start the same host in process).</summary>
public partial class Program;
