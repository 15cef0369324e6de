using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowTok.ServiceDefaults.Resilience;

public static class ResilienceExtensions
{
    /// <summary>A transient cluster failure (<see cref="TransientFailures"/>) that reaches the top of a request is answered
    /// 503 with Retry-After as problem details (<see cref="TransientFailureHandler"/>, used by <c>UseExceptionHandler</c>).
    /// Safe to call more than once.</summary>
    public static IServiceCollection AddTransientFailureRules(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionHandler, TransientFailureHandler>());
        return services;
    }
}
