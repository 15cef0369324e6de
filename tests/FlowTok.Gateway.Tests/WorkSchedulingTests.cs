using FlowTok.Contracts;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Requests;

namespace FlowTok.Gateway.Tests;

public class WorkSchedulingTests
{
    private static readonly ServedModel Model = new("v1", 256, [256]);
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly JobSpec Spec = new() { TenantId = "t", Kind = JobKind.Generation, Prompt = "p" };

    [Theory]
    [InlineData("interactive", JobPriority.Interactive)]
    [InlineData("batch", JobPriority.Batch)]
    public void PriorityIsReadAndOverridesTheRoutesDefault(string wire, JobPriority expected)
    {
        var scheduling = RequestValidation.Scheduling(wire, (double?)null);
        Assert.True(scheduling.IsValid);
        var otherDefault = expected == JobPriority.Batch ? JobPriority.Interactive : JobPriority.Batch;
        Assert.Equal(expected, scheduling.Value!.ApplyTo(Spec, otherDefault, Now).Priority);
    }

    [Fact]
    public void WithoutFieldsTheRouteDecides()
    {
        var spec = WorkScheduling.Default.ApplyTo(Spec, JobPriority.Batch, Now);
        Assert.Equal(JobPriority.Batch, spec.Priority);
        Assert.Null(spec.Deadline); // the job's own timeout
        Assert.Equal(Now + TimeSpan.FromSeconds(120), WorkScheduling.Default.ApplyTo(Spec, JobPriority.Interactive, Now, TimeSpan.FromSeconds(120)).Deadline);
    }

    [Fact]
    public void TheDeadlineIsTheTimeoutCappedByTheSynchronousWait()
    {
        var scheduling = RequestValidation.Scheduling(null, 5.5).Value!;
        Assert.Equal(Now + TimeSpan.FromSeconds(5.5), scheduling.ApplyTo(Spec, JobPriority.Batch, Now).Deadline);
        Assert.Equal(Now + TimeSpan.FromSeconds(5.5), scheduling.ApplyTo(Spec, JobPriority.Interactive, Now, TimeSpan.FromSeconds(120)).Deadline);
        Assert.Equal(Now + TimeSpan.FromSeconds(2), scheduling.ApplyTo(Spec, JobPriority.Interactive, Now, TimeSpan.FromSeconds(2)).Deadline);
    }

    [Theory]
    [InlineData("urgent", null, "priority")]
    [InlineData("Interactive", null, "priority")]
    [InlineData(null, 0.0, "timeout")]
    [InlineData(null, -1.0, "timeout")]
    [InlineData(null, 3600.5, "timeout")]
    [InlineData(null, double.NaN, "timeout")]
    [InlineData(null, double.PositiveInfinity, "timeout")]
    public void OutOfRangeValuesAreFieldErrors(string? priority, double? timeout, string field)
    {
        var result = RequestValidation.Scheduling(priority, timeout);
        Assert.False(result.IsValid);
        Assert.Equal([field], result.Errors.Keys);
    }

    [Fact]
    public void FormFieldsAreParsedAndAnUnparsableTimeoutIsAFieldError()
    {
        Assert.Equal(TimeSpan.FromSeconds(2.5), RequestValidation.Scheduling("batch", "2.5").Value!.Timeout);
        Assert.Equal(WorkScheduling.Default, RequestValidation.Scheduling("", "").Value);
        var bad = RequestValidation.Scheduling("soon", "ten");
        Assert.Equal(["priority", "timeout"], bad.Errors.Keys.Order());
    }

    [Fact]
    public void GenerationRequestsCarryThemOutsideTheirHash()
    {
        var plain = RequestValidation.Generation(new GenerationRequest { Prompt = "a red circle" }, Model).Value!;
        var scheduled = RequestValidation.Generation(new GenerationRequest { Prompt = "a red circle", Priority = "batch", Timeout = Limits.MaxTimeoutSeconds }, Model).Value!;
        Assert.Equal(plain.RequestHash, scheduled.RequestHash);
        Assert.Equal(new WorkScheduling(JobPriority.Batch, TimeSpan.FromSeconds(Limits.MaxTimeoutSeconds)), scheduled.Scheduling);
        var invalid = RequestValidation.Generation(new GenerationRequest { Prompt = "a red circle", Priority = "now", Steps = 0 }, Model);
        Assert.Equal(["priority", "steps"], invalid.Errors.Keys.Order());
    }
}
