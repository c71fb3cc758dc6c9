using SecretOps.Fuzz;
using SharpFuzz;

// secretops-fuzz HARNESS                  run HARNESS under afl-fuzz (persistent, in-process), reading inputs from afl
// secretops-fuzz check HARNESS FILE...    run files through HARNESS once each; exit 1 on a finding (triage, regressions)
// secretops-fuzz store-seed PATH          write the store harness's seed store file
if (args.Length == 2 && args[0] == "store-seed")
{
    Harnesses.CreateStoreSeed(args[1]);
    return 0;
}

if (args.Length >= 2 && args[0] == "check" && Harnesses.All.ContainsKey(args[1]))
{
    var failed = 0;
    foreach (var file in args.Skip(2))
    {
        try
        {
            Harnesses.Check(args[1], File.ReadAllBytes(file));
            Console.WriteLine($"ok       {file}");
        }
        catch (FuzzFindingException e)
        {
            failed++;
            Console.WriteLine($"FINDING  {file}: {e.Message}");
            Console.WriteLine(e.InnerException?.StackTrace);
        }
    }

    return failed == 0 ? 0 : 1;
}

if (args.Length == 1 && Harnesses.All.ContainsKey(args[0]))
{
    var harness = args[0];
    Fuzzer.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        Harnesses.Check(harness, buffer.ToArray());
    });
    return 0;
}

Console.Error.WriteLine($"usage: SecretOps.Fuzz HARNESS | check HARNESS FILE... | store-seed PATH\nharnesses: {string.Join(", ", Harnesses.All.Keys)}");
return 2;
