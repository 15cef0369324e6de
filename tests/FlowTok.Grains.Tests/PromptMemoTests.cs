using FlowTok.Grains.Models;
using FlowTok.Storage;

namespace FlowTok.Grains.Tests;

public sealed class PromptMemoTests
{
    private static PromptEncodingRecord Encoding(float value) => new([49406, 49407], [value], [1, 1], [value], [value], [1, 1]);

    [Fact]
    public void TheLeastRecentlyUsedPromptLeavesFirst()
    {
        var memo = new PromptMemo(2);
        memo.Set("t", "a", Encoding(1));
        memo.Set("t", "b", Encoding(2));
        Assert.NotNull(memo.Get("t", "a")); // "a" is now the most recent
        memo.Set("t", "c", Encoding(3));
        Assert.Null(memo.Get("t", "b"));
        Assert.Equal(1, memo.Get("t", "a")!.Mu[0]);
        Assert.Equal(3, memo.Get("t", "c")!.Mu[0]);
        Assert.Equal(2, memo.Count);
    }

    [Fact]
    public void AnotherTenantsPromptIsAMiss()
    {
        var memo = new PromptMemo(4);
        memo.Set("acme", "a red fox", Encoding(1));
        Assert.Null(memo.Get("globex", "a red fox"));
        Assert.Equal(1, memo.Get("acme", "a red fox")!.Mu[0]);
    }

    [Fact]
    public void ZeroCapacityKeepsNothing()
    {
        var memo = new PromptMemo(0);
        memo.Set("t", "a", Encoding(1));
        Assert.Null(memo.Get("t", "a"));
    }
}
