using System.Diagnostics;
using FlowTok.Fuzz;
using SharpFuzz;

// flowtok-fuzz <target>                   under afl-fuzz: the persistent SharpFuzz loop; without it, one input from stdin
// flowtok-fuzz replay <target> <path>...  each file (or every file of a folder): ok, or the finding, and the time it took
// flowtok-fuzz seeds <folder>             writes the seed corpus, <folder>/<target>/<name>
const string usage = "usage: flowtok-fuzz <target> | replay <target> <file or folder>... | seeds <folder>  (targets: upload, json, multipart)";

switch (args)
{
    case ["seeds", string folder]:
        foreach (var (target, name, bytes) in SeedCorpus.All())
        {
            Directory.CreateDirectory(Path.Combine(folder, target));
            File.WriteAllBytes(Path.Combine(folder, target, name), bytes);
        }
        return 0;
    case ["replay", string name, .. var paths] when FuzzTargets.Find(name) is { } target && paths.Length > 0:
        return Replay(target, paths);
    case [string name] when FuzzTargets.Find(name) is { } target:
        var guard = MemoryGuard.FromEnvironment();
        string? log = Environment.GetEnvironmentVariable("FLOWTOK_FUZZ_LOG"); // where to write what each finding threw
        Fuzzer.Run(stream =>
        {
            using var input = new MemoryStream();
            stream.CopyTo(input);
            try
            {
                guard.Run(target, input.ToArray());
            }
            catch (Exception e) when (log is not null)
            {
                File.AppendAllText(log, $"{e}\n\n");
                throw;
            }
        });
        return 0;
    default:
        Console.Error.WriteLine(usage);
        return 2;
}

static unsafe int Replay(IFuzzTarget target, string[] paths)
{
    // Outside afl-fuzz the instrumented assemblies still record coverage: give them a map of their own.
    SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    var guard = MemoryGuard.FromEnvironment();
    int findings = 0;
    foreach (string file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order() : (IEnumerable<string>)[p]))
    {
        if (Path.GetFileName(file) == "README.txt") continue; // AFL's note in its crashes folder
        var clock = Stopwatch.StartNew();
        string outcome;
        try
        {
            guard.Run(target, File.ReadAllBytes(file));
            outcome = "ok";
        }
        catch (OutOfMemoryFindingException e)
        {
            (outcome, findings) = ($"out-of-memory: {e.Message}", findings + 1);
        }
        catch (Exception e)
        {
            (outcome, findings) = ($"crash: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}", findings + 1);
        }
        Console.WriteLine($"{file}\t{clock.ElapsedMilliseconds} ms\t{outcome}");
    }
    return findings == 0 ? 0 : 1;
}
