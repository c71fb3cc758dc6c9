namespace SecretOps.Cli;

/// <summary>
/// The server program <c>secretops serve</c> starts: <see cref="Program"/> is what is executed and
/// <see cref="LeadingArguments"/> go before the server's own (the assembly, when it runs under <c>dotnet</c>).
/// </summary>
/// <param name="Program">The full path of the executable: the server's native launcher, or <c>dotnet</c>.</param>
/// <param name="LeadingArguments">Arguments before the server's: none for the launcher, the assembly's path for <c>dotnet</c>.</param>
internal sealed record ServerProgram(string Program, IReadOnlyList<string> LeadingArguments)
{
    /// <summary>Names the server's folder, its launcher or its SecretOps.Server.dll, instead of the default place.</summary>
    public const string PathVariable = "SECRETOPS_SERVER_PATH";

    private const string AssemblyFileName = "SecretOps.Server.dll";

    private static string LauncherFileName => OperatingSystem.IsWindows() ? "SecretOps.Server.exe" : "SecretOps.Server";

    private static string DotnetFileName => OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

    /// <summary>
    /// Finds the server: in <paramref name="configuredPath"/> (SECRETOPS_SERVER_PATH: a folder, the launcher or the
    /// assembly) when given, else in <c>../server/</c> beside <paramref name="cliDirectory"/>, where the build assembles it
    /// (out/cli/ and out/cli-native/ beside out/server/; an installation's cli/ beside server/). In a folder the native
    /// launcher wins over <c>dotnet SecretOps.Server.dll</c>. Throws <see cref="NotFoundException"/> naming where it looked.
    /// </summary>
    public static ServerProgram Locate(string? configuredPath, string cliDirectory)
    {
        var configured = configuredPath is { Length: > 0 };
        var place = Path.GetFullPath(configured ? configuredPath! : Path.Combine(cliDirectory, "..", "server"));
        var found = Directory.Exists(place) ? InFolder(place)
            : File.Exists(place) ? FromFile(place)
            : null;
        if (found is not null)
        {
            return found;
        }

        var where = configured ? $"{PathVariable} names '{place}'" : $"looked in '{place}' ({PathVariable} is not set)";
        throw new NotFoundException(
            $"The SecretOps server is not there: {where}, which is neither a server program nor a folder holding {LauncherFileName} or {AssemblyFileName}. "
            + $"Build it ('dotnet build -c Release' assembles it in out/server/, beside out/cli/), or set {PathVariable} to the server's folder, launcher or {AssemblyFileName}.",
            place);
    }

    private static ServerProgram? InFolder(string folder)
    {
        var launcher = Path.Combine(folder, LauncherFileName);
        var assembly = Path.Combine(folder, AssemblyFileName);
        return File.Exists(launcher) ? new ServerProgram(launcher, [])
            : File.Exists(assembly) ? UnderDotnet(assembly)
            : null;
    }

    private static ServerProgram FromFile(string file) =>
        file.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? UnderDotnet(file) : new ServerProgram(file, []);

    private static ServerProgram UnderDotnet(string assembly) =>
        FindDotnet() is { } dotnet ? new ServerProgram(dotnet, [assembly])
            : throw new NotFoundException(
                $"The SecretOps server '{assembly}' runs under dotnet, which is not there: install the ASP.NET Core runtime, or set DOTNET_ROOT to the folder that holds {DotnetFileName}.",
                assembly);

    /// <summary>The dotnet running this CLI when it is one (<c>dotnet SecretOps.Cli.dll</c>), else the one in DOTNET_ROOT or on PATH.</summary>
    private static string? FindDotnet()
    {
        if (Environment.ProcessPath is { } running && string.Equals(Path.GetFileName(running), DotnetFileName, StringComparison.OrdinalIgnoreCase))
        {
            return running;
        }

        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            folders.Add(root);
        }

        folders.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return folders.Select(folder => Path.Combine(folder, DotnetFileName)).FirstOrDefault(File.Exists);
    }
}
