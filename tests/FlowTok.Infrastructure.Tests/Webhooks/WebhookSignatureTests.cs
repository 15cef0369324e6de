using System.Text;
using FlowTok.Infrastructure.Webhooks;

namespace FlowTok.Infrastructure.Tests.Webhooks;

public sealed class WebhookSignatureTests
{
    [Fact]
    public void SignaturesMatchTheStandardWebhooksTestVector()
    {
        // The example of the Standard Webhooks specification and its libraries' tests.
        var secret = Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var signature = WebhookSignature.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("{\"test\": 2432232314}"));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void EachTenantHasItsOwnSecretDerivedFromThePlatformKey()
    {
        const string key = "platform-webhook-key-0123456789abcdef";
        var a = WebhookSignature.TenantSecret(key, "tenant-a");
        Assert.Equal(32, a.Length);
        Assert.Equal(a, WebhookSignature.TenantSecret(key, "tenant-a")); // every process derives the same
        Assert.NotEqual(a, WebhookSignature.TenantSecret(key, "tenant-b"));
        Assert.NotEqual(a, WebhookSignature.TenantSecret(key + "x", "tenant-a"));
        Assert.StartsWith("whsec_", WebhookSignature.Format(a));
        Assert.Equal(a, Convert.FromBase64String(WebhookSignature.Format(a)["whsec_".Length..]));
    }

    [Fact]
    public void AChangedBodyTimestampOrIdChangesTheSignature()
    {
        var secret = WebhookSignature.TenantSecret("platform-webhook-key-0123456789abcdef", "t");
        var body = Encoding.UTF8.GetBytes("{\"id\":\"job\"}");
        var signature = WebhookSignature.Sign(secret, "msg_1", 100, body);
        Assert.NotEqual(signature, WebhookSignature.Sign(secret, "msg_1", 101, body));
        Assert.NotEqual(signature, WebhookSignature.Sign(secret, "msg_2", 100, body));
        Assert.NotEqual(signature, WebhookSignature.Sign(secret, "msg_1", 100, Encoding.UTF8.GetBytes("{\"id\":\"jog\"}")));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]
    [InlineData(40, 300)]
    public void RetriesBackOffExponentiallyUpToTheCap(int failedAttempts, int seconds)
    {
        var options = new WebhookOptions { FirstRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromMinutes(5) };
        Assert.Equal(TimeSpan.FromSeconds(seconds), options.RetryDelay(failedAttempts));
    }
}
