using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Consumers;
using FlowTok.Grains.Models;
using FlowTok.Model.Pipelines;
using MassTransit.Events;

namespace FlowTok.Grains.Tests;

/// <summary>A failed item's public code comes from the exception's type; its text is never the code.</summary>
public sealed class FailureCodesTests
{
    public static TheoryData<Exception, string> Failures => new()
    {
        { new FileNotFoundException("upload file-x of job job-y is missing, expired or not tenant t's"), ItemFailures.InputUnavailable },
        { new InvalidImageException("upload file-x of job job-y is not a canonical image (tEXt chunk)"), ItemFailures.InvalidInput },
        { new NotSupportedException("model m cannot generate images"), ItemFailures.Unsupported },
        { new DeadlineExceededException("the item's deadline passed in the queue of sim:0"), ItemFailures.DeadlineExceeded },
        { new InvalidOperationException("simulated device failure in row 7 (a secret prompt)"), ItemFailures.Internal },
        { new AggregateException(new InvalidImageException("wrapped")), ItemFailures.InvalidInput },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void TheCodeComesFromTheExceptionsType(Exception failure, string code) =>
        Assert.Equal(code, FailureCodes.For(new FaultExceptionInfo(failure)));

    [Fact]
    public void NoExceptionIsAnInternalError() => Assert.Equal(ItemFailures.Internal, FailureCodes.For(null));

    [Theory]
    [InlineData("cancelled", "cancelled")]
    [InlineData("timed_out", "timed_out")]
    [InlineData("System.Exception: CUDA error in row 7", "internal_error")]
    [InlineData(null, "internal_error")]
    public void OnlyKnownCodesAreStoredAsTheyAre(string? reason, string stored) => Assert.Equal(stored, ItemFailures.Normalize(reason));
}
