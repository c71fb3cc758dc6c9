namespace SecretOps.Tests.Files;

/// <summary>
/// Writes a credential file (a client secret or a private key) the way it must be kept: readable and writable by
/// its owner only (0600 on Unix, made so before anything is written). SecretOps refuses anything looser.
/// Linked into the Core and CLI tests.
/// </summary>
internal static class CredentialFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8) to a new or truncated owner-only file at <paramref name="path"/>.</summary>
    public static void Write(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Writes <paramref name="content"/> to a new or truncated owner-only file at <paramref name="path"/>.</summary>
    public static void Write(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(content);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only to a file this call created; an existing one keeps its mode otherwise.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
