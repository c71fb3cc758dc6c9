using System.Diagnostics;
using System.Text;

namespace SecretOps.Cli.Tests;

/// <summary>
/// What a person at a terminal sees: passphrase prompts without echo, y/N confirmations. The CLI runs
/// under util-linux <c>script</c>, which gives it a pseudo-terminal; answers are typed once each prompt shows.
/// </summary>
public class TerminalTests
{
    private const string Script = "/usr/bin/script";
    private const string Typed = "typed passphrase 42";

    [Fact]
    public void APersonAtATerminal_IsAskedWithoutEcho_AndConfirmsDestructiveCommands()
    {
        if (OperatingSystem.IsWindows() || !File.Exists(Script))
        {
            Assert.Skip("Needs util-linux 'script' for a pseudo-terminal.");
        }

        using var store = CliStore.Empty();
        store.Environment["SECRETOPS_PASSPHRASE"] = null;

        // Mismatched passphrases create nothing.
        var mismatch = Run(store, ["store", "init", .. CliStore.WeakKdf], ("System client: ", Typed), ("Repeat the passphrase: ", "something else"));
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("do not match", mismatch.Output);
        Assert.False(File.Exists(store.StorePath));

        var init = Run(store, ["store", "init", .. CliStore.WeakKdf], ("System client: ", Typed), ("Repeat the passphrase: ", Typed));
        Assert.True(init.ExitCode == 0, init.Output);
        Assert.DoesNotContain(Typed, init.Output);

        // No credential anywhere: the passphrase is asked for; a missing value is asked for too.
        var set = Run(store, ["secret", "set", "k"], ("Passphrase for client 'system': ", Typed), ("Value for 'k': ", "typed value"));
        Assert.True(set.ExitCode == 0, set.Output);
        Assert.DoesNotContain(Typed, set.Output);
        Assert.DoesNotContain("typed value", set.Output);
        var get = Run(store, ["secret", "get", "k"], ("Passphrase for client 'system': ", Typed));
        Assert.EndsWith("typed value", get.Output, StringComparison.Ordinal);

        var declined = Run(store, ["secret", "rm", "k"], ("Passphrase for client 'system': ", Typed), ("[y/N] ", "n"));
        Assert.Equal(1, declined.ExitCode);
        Assert.Contains("Cancelled", declined.Output);
        var wrong = Run(store, ["secret", "get", "k"], ("Passphrase for client 'system': ", "not it"));
        Assert.Equal(4, wrong.ExitCode);

        var removed = Run(store, ["secret", "rm", "k"], ("Passphrase for client 'system': ", Typed), ("[y/N] ", "y"));
        Assert.True(removed.ExitCode == 0, removed.Output);
        Assert.Equal(3, Run(store, ["secret", "get", "k"], ("Passphrase for client 'system': ", Typed)).ExitCode);
    }

    [Fact]
    public void AtATerminal_KeyRotationShowsProgress_RetireAsks_AndANewClientsPassphraseIsAskedTwice()
    {
        if (OperatingSystem.IsWindows() || !File.Exists(Script))
        {
            Assert.Skip("Needs util-linux 'script' for a pseudo-terminal.");
        }

        using var store = CliStore.Create();
        store.Set("s", "v");
        store.AddGenerated("ci");
        store.Ok("grant", "ci", "-n", "default", "--permissions", "read");

        // Progress on the terminal; off a terminal (every other test), standard error stays empty.
        var rotated = Run(store, ["ns", "rotate", "default"]);
        Assert.True(rotated.ExitCode == 0, rotated.Output);
        Assert.Contains("Rotating the keys of namespace 'default': [", rotated.Output);
        Assert.Contains("1/1 secret keys", rotated.Output);
        Assert.Contains("Rotated namespace 'default' to key generation 2", rotated.Output);

        var declined = Run(store, ["client", "retire", "ci"], ("[y/N] ", "n"));
        Assert.Equal(1, declined.ExitCode);
        Assert.Contains("Cancelled", declined.Output);
        Assert.Equal("active", store.Json("client", "show", "ci").GetProperty("status").GetString());
        var retired = Run(store, ["client", "retire", "ci"], ("[y/N] ", "y"));
        Assert.True(retired.ExitCode == 0, retired.Output);
        Assert.Contains("Rotating the keys of namespace 'default'", retired.Output);
        Assert.Contains("Retired client 'ci'", retired.Output);

        var mismatch = Run(store, ["client", "add", "dana"], ("new client 'dana': ", Typed), ("Repeat the passphrase: ", "something else"));
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("do not match", mismatch.Output);
        var added = Run(store, ["client", "add", "dana", "--weak-kdf"], ("new client 'dana': ", Typed), ("Repeat the passphrase: ", Typed));
        Assert.True(added.ExitCode == 0, added.Output);
        Assert.DoesNotContain(Typed, added.Output);
        store.Ok(["client", "show", "dana"], stdin: null, CliStore.As("dana", passphrase: Typed));
    }

    [Fact]
    public void AfterASecretPrompt_TheTerminalEchoesAgain()
    {
        if (OperatingSystem.IsWindows() || !File.Exists(Script))
        {
            Assert.Skip("Needs util-linux 'script' for a pseudo-terminal.");
        }

        using var store = CliStore.Empty();
        store.Environment["SECRETOPS_PASSPHRASE"] = null;
        Assert.Equal(0, Run(store, ["store", "init", .. CliStore.WeakKdf], ("System client: ", Typed), ("Repeat the passphrase: ", Typed)).ExitCode);

        // Echo is off from before the prompt shows until the answer is read, and on again afterwards (stty prints "echo",
        // not "-echo"): neither the passphrase shows, nor is the person left typing blind.
        var wrong = Run(store, ["secret", "get", "k"], afterwards: "stty -a", ("Passphrase for client 'system': ", "not it"));
        Assert.DoesNotContain("not it", wrong.Output);
        Assert.Matches(@"(^|\s)echo(\s|$)", wrong.Output);
        Assert.DoesNotMatch(@"(^|\s)-echo(\s|$)", wrong.Output);
    }

    /// <summary>Runs the CLI on a pseudo-terminal, typing each answer after its prompt appears.</summary>
    private static (int ExitCode, string Output) Run(CliStore store, string[] arguments, params (string Prompt, string Answer)[] dialogue) =>
        Run(store, arguments, afterwards: null, dialogue);

    /// <summary>As <see cref="Run(CliStore, string[], ValueTuple{string, string}[])"/>, then <paramref name="afterwards"/> on the same terminal.</summary>
    private static (int ExitCode, string Output) Run(CliStore store, string[] arguments, string? afterwards, params (string Prompt, string Answer)[] dialogue)
    {
        var command = string.Join(' ', new[] { "dotnet", "exec", Cli.AssemblyPath, "--store", store.StorePath }.Concat(arguments).Select(Quote))
            + (afterwards is null ? "" : "; " + afterwards);
        var start = new ProcessStartInfo(Script)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--quiet", "--flush", "--return", "--command", command, "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SECRETOPS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in store.Environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var reader = new Thread(() =>
        {
            var buffer = new char[256];
            int read;
            while ((read = process.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (output)
                {
                    output.Append(buffer, 0, read);
                }
            }
        });
        reader.Start();

        var seen = 0;
        foreach (var (prompt, answer) in dialogue)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                lock (output)
                {
                    var at = output.ToString().IndexOf(prompt, seen, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        seen = at + prompt.Length;
                        break;
                    }
                }

                Assert.True(DateTime.UtcNow < deadline && !process.HasExited, $"No prompt '{prompt}' in: {output}");
                Thread.Sleep(20);
            }

            process.StandardInput.Write(answer + "\r");
            process.StandardInput.Flush();
        }

        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)));
        reader.Join();
        return (process.ExitCode, output.ToString().Replace("\r", "", StringComparison.Ordinal).TrimEnd('\n'));
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
