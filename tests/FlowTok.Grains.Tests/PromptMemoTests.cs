using FlowTok.Grains.Models;
using FlowTok.Infrastructure.Storage;

namespace FlowTok.Grains.Tests;

public sealed class PromptMemoTests
{
    private static PromptEncodingRecord Encoding(float value) => new([49406, 49407], [value], [1, 1], [value], [value], [1, 1]);

    [Fact]
    public void TheLeastRecentlyUsedPromptLeavesFirst()
    {
        var memo = new PromptMemo(2);
        memo.Set("a", Encoding(1));
        memo.Set("b", Encoding(2));
        Assert.NotNull(memo.Get("a")); // "a" is now the most recent
        memo.Set("c", Encoding(3));
        Assert.Null(memo.Get("b"));
        Assert.Equal(1, memo.Get("a")!.Mu[0]);
        Assert.Equal(3, memo.Get("c")!.Mu[0]);
        Assert.Equal(2, memo.Count);
    }

    [Fact]
    public void ZeroCapacityKeepsNothing()
    {
        var memo = new PromptMemo(0);
        memo.Set("a", Encoding(1));
        Assert.Null(memo.Get("a"));
    }
}
