using System.Net;
using FlowTok.Infrastructure.Webhooks;

namespace FlowTok.Infrastructure.Tests.Webhooks;

public sealed class WebhookTargetsTests
{
    [Theory]
    [InlineData("https://hooks.example.com/flowtok")]
    [InlineData("http://93.184.216.34:8080/x?y=1")]
    [InlineData("https://[2606:4700::1111]/x")]
    public void PublicHttpTargetsAreAccepted(string url) => Assert.Null(WebhookTargets.Refusal(url, allowPrivate: false));

    [Theory]
    [InlineData("ftp://hooks.example.com/x", "http or https")]
    [InlineData("file:///etc/passwd", "http or https")]
    [InlineData("hooks.example.com/x", "http or https")]
    [InlineData("https://user:pass@hooks.example.com/x", "credentials")]
    [InlineData("http://127.0.0.1:9000/x", "non-public")]
    [InlineData("http://localhost/x", "non-public")]
    [InlineData("http://api.localhost/x", "non-public")]
    [InlineData("http://10.1.2.3/x", "non-public")]
    [InlineData("http://172.16.0.1/x", "non-public")]
    [InlineData("http://192.168.1.1/x", "non-public")]
    [InlineData("http://169.254.169.254/latest/meta-data", "non-public")]
    [InlineData("http://100.64.0.1/x", "non-public")]
    [InlineData("http://0.0.0.0/x", "non-public")]
    [InlineData("http://[::1]/x", "non-public")]
    [InlineData("http://[fe80::1]/x", "non-public")]
    [InlineData("http://[fd00::1]/x", "non-public")]
    [InlineData("http://[::ffff:10.0.0.1]/x", "non-public")]
    [InlineData("http://2130706433/x", "non-public")] // 127.0.0.1 written as one number
    public void OtherTargetsAreRefusedWithTheReason(string url, string reason) =>
        Assert.Contains(reason, WebhookTargets.Refusal(url, allowPrivate: false));

    [Fact]
    public void ConfigurationMayAllowPrivateTargetsButNeverOtherSchemes()
    {
        Assert.Null(WebhookTargets.Refusal("http://127.0.0.1:9000/x", allowPrivate: true));
        Assert.NotNull(WebhookTargets.Refusal("ftp://127.0.0.1/x", allowPrivate: true));
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("127.5.5.5", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2a00:1450::1", true)]
    public void AddressesAreJudgedByRange(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookTargets.IsPublic(IPAddress.Parse(address)));
}
