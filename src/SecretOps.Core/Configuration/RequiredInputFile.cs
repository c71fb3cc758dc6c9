using SecretOps.Core.Storage;

namespace SecretOps.Core.Configuration;

/// <summary>
/// A file a command names as its input (a policy, a public key): a missing one is <see cref="NotFoundException"/>
/// (SecretOps.NotFound) on every surface; anything else <see cref="InputFile"/> refuses (a directory, a special
/// file, too large, not UTF-8) stays <see cref="InvalidParameterException"/>.
/// </summary>
internal static class RequiredInputFile
{
    /// <summary>The file's text, read with <see cref="InputFile.ReadText"/> once it is known to exist.</summary>
    public static string ReadText(string path, InputFileKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw new NotFoundException($"There is no {InputFile.Describe(kind)} '{full}'.", full);
        }

        return InputFile.ReadText(full, kind);
    }
}
