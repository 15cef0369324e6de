using FlowTok.Gateway.Host;

// flowtok-gateway: the HTTP API of a cluster, a stateless Orleans client of its silos (no grains, no model, no libtorch).
var builder = GatewayHost.CreateBuilder(args);
var cluster = builder.ReadClusterSettings();
builder.AddClusterClient(cluster);
builder.AddHttpApi();
var app = builder.Build();
app.MapHttpApi(cluster);
await app.RunAsync();
