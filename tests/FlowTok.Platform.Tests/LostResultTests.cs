using System.Net;
using FlowTok.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlowTok.Platform.Tests;

/// <summary>
/// An item's result event lost on its way back (as when the broker restarts while it is published) does not leave its
/// job running until the deadline: the job notices the item went silent and queues it again.
/// </summary>
public sealed class LostResultTests
{
    [Fact]
    public async Task AJobWhoseResultEventIsLostQueuesTheItemAgainAndSucceeds()
    {
        var lost = new DropFirstResult(index: 1);
        await using var platform = await SimulatedPlatform.StartAsync("lost-result",
            ["--Model:Simulated:BatchLatency=00:00:00.200", "--Platform:ItemStallTimeout=00:00:01", "--Platform:JobTimeout=00:01:00"],
            services => services.AddSingleton<IConfigureReceiveEndpoint>(lost));
        var job = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", n = 2, steps = 10 }))
            .ExpectJson(HttpStatusCode.Accepted);

        var done = await JobTests.WaitForEnd(platform.Client, job.GetProperty("id").GetString()!);

        Assert.Equal(1, lost.Dropped); // the fault was injected: the first result of item 1 never reached the job
        Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
        Assert.Equal([0, 1], done.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("index").GetInt32()).Order());
    }

    /// <summary>On every receive endpoint: swallows the first <see cref="ImageGenerated"/> of item <c>index</c> before any
    /// consumer sees it.</summary>
    private sealed class DropFirstResult(int index) : IConfigureReceiveEndpoint, IFilter<ConsumeContext>
    {
        private int dropped;

        public int Dropped => Volatile.Read(ref dropped);

        public void Configure(string name, IReceiveEndpointConfigurator configurator) => configurator.UseFilter(this);

        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next) =>
            context.TryGetMessage<ImageGenerated>(out var result) && result.Message.Index == index && Interlocked.CompareExchange(ref dropped, 1, 0) == 0
                ? Task.CompletedTask
                : next.Send(context);

        public void Probe(ProbeContext context) => context.CreateFilterScope("drop-first-result");
    }
}
