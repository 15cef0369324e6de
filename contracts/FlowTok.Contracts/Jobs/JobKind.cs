namespace FlowTok.Contracts.Jobs;

public enum JobKind
{
    Generation = 0,
    Caption = 1,
}
