using System.Net;
using System.Net.Sockets;
using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Jobs;
using FlowTok.Infrastructure.Webhooks;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Tests.Jobs;

/// <summary>The delivery's bookkeeping: attempts counted, the next one due after the back-off, given up after the last.</summary>
public sealed class JobWebhooksTests
{
    [Fact]
    public async Task FailedAttemptsBackOffAndTheLastOneGivesUp()
    {
        // A loopback port nobody listens on: every attempt fails at once (connection refused).
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var options = Options.Create(new WebhookOptions
        {
            SigningKey = "grain-test-webhook-key-0123456789abcdef", AllowPrivateTargets = true, MaxAttempts = 2,
            FirstRetryDelay = TimeSpan.FromMinutes(1),
        });
        using var sender = new WebhookSender(options);
        var webhooks = new JobWebhooks(sender, new FlowTok.Grains.Tests.Cluster.SnapshotWebhookBody(), options, TimeProvider.System);
        var job = new JobSnapshot
        {
            JobId = "job-1", Status = JobStatus.Succeeded, Outputs = [],
            Spec = new JobSpec { TenantId = "t", Kind = JobKind.Generation, Webhook = new JobWebhook { Url = $"http://127.0.0.1:{port}/hook", LinksBaseUrl = "http://gw" } },
        };
        var delivery = new WebhookDelivery();
        Assert.Equal(TimeSpan.Zero, webhooks.UntilNextAttempt(delivery)); // the first attempt is due at once

        var first = await webhooks.AttemptAsync(job, delivery, default);
        Assert.False(first.Delivered);
        Assert.Equal(1, delivery.Attempts);
        Assert.True(delivery.Pending);
        Assert.NotNull(delivery.LastFailure);
        Assert.InRange(webhooks.UntilNextAttempt(delivery), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));

        await webhooks.AttemptAsync(job, delivery, default);
        Assert.Equal(2, delivery.Attempts);
        Assert.True(delivery.GaveUp);
        Assert.False(delivery.Pending);
    }
}
