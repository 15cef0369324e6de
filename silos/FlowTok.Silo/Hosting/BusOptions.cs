namespace FlowTok.Silo.Hosting;

/// <summary>Configuration section "Bus": which MassTransit transport carries the work.</summary>
public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>"InMemory" (one machine, default) or "RabbitMQ".</summary>
    public string Transport { get; set; } = "InMemory";

    /// <summary>RabbitMQ URI, e.g. "rabbitmq://guest:guest@localhost:5672/".</summary>
    public string RabbitMq { get; set; } = "rabbitmq://guest:guest@localhost:5672/";
}
