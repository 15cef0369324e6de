using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowTok.Infrastructure.Webhooks;
using Microsoft.Extensions.Options;

namespace FlowTok.Infrastructure.Tests.Webhooks;

/// <summary>Delivery attempts over real HTTP to a loopback receiver.</summary>
public sealed class WebhookSenderTests
{
    private const string Key = "platform-webhook-key-0123456789abcdef";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"id\":\"job_1\",\"status\":\"succeeded\"}");

    private static WebhookSender Sender(bool allowPrivate = true, TimeSpan? timeout = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) =>
        new(Options.Create(new WebhookOptions { SigningKey = Key, AllowPrivateTargets = allowPrivate, AttemptTimeout = timeout ?? TimeSpan.FromSeconds(10) }),
            resolve: resolve);

    [Fact]
    public async Task ASignedPostIsDeliveredByA2xxAnswer()
    {
        await using var receiver = await WebhookReceiver.StartAsync(204);
        using var sender = Sender();

        var attempt = await sender.SendAsync(receiver.Url.ToString(), "tenant-a", "msg_job_1", Body, default);

        Assert.Equal(new WebhookAttempt(true, 204, null), attempt);
        var hook = await receiver.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Body, hook.Body);
        Assert.Equal("application/json", hook.Headers["content-type"]);
        Assert.Equal("msg_job_1", hook.Id);
        Assert.True(hook.IsSignedWith(WebhookSignature.Format(WebhookSignature.TenantSecret(Key, "tenant-a"))));
        Assert.False(hook.IsSignedWith(WebhookSignature.Format(WebhookSignature.TenantSecret(Key, "tenant-b"))));
        Assert.InRange(long.Parse(hook.Headers["webhook-timestamp"]), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(404)]
    [InlineData(307)] // a redirect is not followed
    public async Task AnyOtherAnswerIsAFailedAttempt(int status)
    {
        await using var receiver = await WebhookReceiver.StartAsync(status);
        using var sender = Sender();

        var attempt = await sender.SendAsync(receiver.Url.ToString(), "tenant-a", "msg_job_1", Body, default);

        Assert.Equal(new WebhookAttempt(false, status, null), attempt);
        await receiver.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, receiver.Waiting);
    }

    [Fact]
    public async Task ANameThatResolvesToAPrivateAddressAtDeliveryIsRefused()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // A name that passed the check at submission and resolves inward when the webhook is sent (DNS rebinding).
        Task<IPAddress[]> Rebinding(string host, CancellationToken _) => Task.FromResult(host == "hooks.example.com" ? [IPAddress.Loopback] : Array.Empty<IPAddress>());
        var url = $"http://hooks.example.com:{receiver.Url.Port}/hooks/jobs";
        Assert.Null(WebhookTargets.Refusal(url, allowPrivate: false));

        using (var strict = Sender(allowPrivate: false, resolve: Rebinding))
        {
            var refused = await strict.SendAsync(url, "tenant-a", "msg_job_1", Body, default);
            Assert.False(refused.Delivered);
            Assert.Contains("non-public address 127.0.0.1", refused.Error);
        }
        Assert.Equal(0, receiver.Waiting);

        // The same resolution, allowed: the connection goes to the address that was resolved and checked.
        using var lenient = Sender(allowPrivate: true, resolve: Rebinding);
        Assert.True((await lenient.SendAsync(url, "tenant-a", "msg_job_1", Body, default)).Delivered);
        Assert.Equal("hooks.example.com:" + receiver.Url.Port, (await receiver.NextAsync(TimeSpan.FromSeconds(10))).Headers["host"]);
    }

    [Fact]
    public async Task ALiteralPrivateAddressIsRefusedWithoutConnecting()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var sender = Sender(allowPrivate: false);
        var attempt = await sender.SendAsync(receiver.Url.ToString(), "tenant-a", "msg_job_1", Body, default);
        Assert.False(attempt.Delivered);
        Assert.Contains("non-public", attempt.Error);
        Assert.Equal(0, receiver.Waiting);
    }

    [Fact]
    public async Task AReceiverThatNeverAnswersFailsTheAttemptAtItsTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (the backlog) and never answers
        using var sender = Sender(timeout: TimeSpan.FromMilliseconds(500));
        var attempt = await sender.SendAsync($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/x", "tenant-a", "msg_job_1", Body, default);
        Assert.False(attempt.Delivered);
        Assert.Null(attempt.Status);
        Assert.Contains("no answer within", attempt.Error);
    }
}
