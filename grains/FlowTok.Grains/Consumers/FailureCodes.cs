using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Models;
using FlowTok.Model.Pipelines;
using MassTransit;

namespace FlowTok.Grains.Consumers;

/// <summary>
/// The public code (<see cref="ItemFailures"/>) of a work item's failure, from the exception the replica threw: a missing
/// or foreign upload, one that is not an image the model may decode, work the model cannot do, a deadline that passed;
/// anything else is an internal error. Only the code is published with the item; the exception is logged with the job id.
/// </summary>
public static class FailureCodes
{
    private static readonly (Type Type, string Code)[] Known =
    [
        (typeof(FileNotFoundException), ItemFailures.InputUnavailable),
        (typeof(InvalidImageException), ItemFailures.InvalidInput),
        (typeof(NotSupportedException), ItemFailures.Unsupported),
        (typeof(DeadlineExceededException), ItemFailures.DeadlineExceeded),
    ];

    /// <summary>The code of the first exception in the chain (outermost first) whose type is known.</summary>
    public static string For(ExceptionInfo? exception)
    {
        for (var x = exception; x is not null; x = x.InnerException)
            if (CodeOf(x.ExceptionType) is { } code) return code;
        return ItemFailures.Internal;
    }

    private static string? CodeOf(string? typeName) =>
        typeName is null ? null : Known.FirstOrDefault(k => k.Type.FullName == typeName || typeName.EndsWith("." + k.Type.Name, StringComparison.Ordinal)).Code;
}
