using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>The newest control-log head a client has verified: <paramref name="Hash"/> is the SHA-256 (32 bytes) of entry <paramref name="Sequence"/>.</summary>
internal sealed record VerifiedHead(long Sequence, byte[] Hash);

/// <summary>
/// A client's record, on its own machine, of the newest control-log head it verified for one store (issue 14,
/// property 6): a store file behind it was rolled back, one that differs at its sequence was forked. Only this
/// client's key can write a record, so whoever can write the store (or copy files around) cannot lower it.
/// </summary>
/// <remarks>
/// File layout (129 bytes; integers big-endian, the client id in RFC 4122 order): magic <c>SOHEAD1\0</c> (8),
/// version 1 (1), store identity (32), client id (16), sequence (8), entry hash (32), then HMAC-SHA256 with the
/// client's key over everything before it (32).
/// </remarks>
internal static class LocalHeads
{
    /// <summary>Overrides the directory of the records (tests, several users of one account).</summary>
    public const string StateDirectoryVariable = "SECRETOPS_STATE_DIR";

    private const int IdentityLength = 32;
    private const int HashLength = 32;
    private const int KeyLength = 32;
    private const byte Version = 1;
    private const int VersionOffset = 8;
    private const int IdentityOffset = VersionOffset + 1;
    private const int ClientOffset = IdentityOffset + IdentityLength;
    private const int SequenceOffset = ClientOffset + 16;
    private const int HashOffset = SequenceOffset + 8;
    private const int MacOffset = HashOffset + HashLength;
    private const int FileLength = MacOffset + 32;

    // A writer holds the lock for a read and a rename; waiting longer than this means something is wrong.
    private const int LockTimeoutMilliseconds = 10_000;

    private static ReadOnlySpan<byte> Magic => "SOHEAD1\0"u8;

    /// <summary>
    /// Where the record for (<paramref name="storeIdentity"/>, <paramref name="clientId"/>) lives: the first 16 bytes
    /// of SHA-256(<c>secretops/local-head-file/v1</c> || identity || client id), in lowercase hex, so the name
    /// reveals neither which store nor which client.
    /// </summary>
    public static string PathFor(ReadOnlySpan<byte> storeIdentity, Guid clientId)
    {
        RequireLength(storeIdentity, IdentityLength, nameof(storeIdentity));
        var label = "secretops/local-head-file/v1"u8;
        Span<byte> input = stackalloc byte[label.Length + IdentityLength + 16];
        label.CopyTo(input);
        storeIdentity.CopyTo(input[label.Length..]);
        clientId.TryWriteBytes(input[(label.Length + IdentityLength)..], bigEndian: true, out _);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);

        var name = new StringBuilder(32);
        foreach (var b in digest[..16])
        {
            name.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return Path.Combine(Directory(), name.ToString());
    }

    /// <summary>
    /// The record, or null when there is none. A record that fails its MAC, is malformed, or belongs to another
    /// store or client is a <see cref="TamperedException"/> naming the file: dropping it would forget the very
    /// rollback it exists to catch, so only <see cref="Forget"/> removes it.
    /// </summary>
    public static VerifiedHead? Load(ReadOnlySpan<byte> storeIdentity, Guid clientId, ReadOnlySpan<byte> key)
    {
        RequireLength(key, KeyLength, nameof(key));
        return Read(PathFor(storeIdentity, clientId), storeIdentity, clientId, key);
    }

    /// <summary>
    /// Records <paramref name="head"/> and returns what the record now holds. It never moves backwards: a record
    /// already at a higher sequence is kept and returned (another process of this client got further). The same
    /// sequence with another hash means the store forked, and is a <see cref="TamperedException"/>. The caller has
    /// checked that <paramref name="head"/> descends from the recorded one; this only keeps the record.
    /// </summary>
    public static VerifiedHead Save(ReadOnlySpan<byte> storeIdentity, Guid clientId, VerifiedHead head, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(head);
        RequireLength(head.Hash, HashLength, nameof(head));
        ArgumentOutOfRangeException.ThrowIfLessThan(head.Sequence, 1L, nameof(head));
        RequireLength(key, KeyLength, nameof(key));
        var path = PathFor(storeIdentity, clientId);

        // Atomic replacement alone would be last-writer-wins, and two invocations of this client that read the
        // record before either wrote could leave the lower head: the read and the rename happen under a lock.
        using var held = Lock(path);
        if (Read(path, storeIdentity, clientId, key) is { } stored)
        {
            if (stored.Sequence > head.Sequence)
            {
                return stored;
            }

            if (stored.Sequence == head.Sequence)
            {
                return CryptographicOperations.FixedTimeEquals(stored.Hash, head.Hash)
                    ? stored
                    : throw new TamperedException($"control log entry {head.Sequence}",
                        $"The store's control log entry {head.Sequence} differs from the one this client verified before " +
                        $"(recorded in '{path}'): the store was forked or rewritten.");
            }
        }

        Write(path, Encode(storeIdentity, clientId, head, key));
        return head;
    }

    /// <summary>
    /// Removes the record, for a user who accepts a restored backup on purpose. The empty lock file beside it stays:
    /// removing a lock file while another process may be about to lock it would let two writers hold "the" lock.
    /// </summary>
    public static void Forget(ReadOnlySpan<byte> storeIdentity, Guid clientId)
    {
        var path = PathFor(storeIdentity, clientId);
        if (!File.Exists(path) && !File.Exists(TempPath(path)))
        {
            return;
        }

        using var held = Lock(path);
        Io(path, () =>
        {
            File.Delete(path);
            File.Delete(TempPath(path));
        });
    }

    /// <summary>
    /// The key this user's records are authenticated with: 32 random bytes in an owner-only file beside them, made on
    /// first use. It belongs to the machine account, not to a store credential, so a client that re-keys (or is re-keyed
    /// by an admin) keeps its records; the shared store file never holds it.
    /// </summary>
    public static byte[] MachineKey()
    {
        var path = Path.Combine(Directory(), "key");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var existing = File.ReadAllBytes(path);
                return existing.Length == 32 ? existing : throw Tampered(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && attempt == 0)
            {
                var temp = $"{path}.{Guid.NewGuid():N}.tmp";
                Io(path, () =>
                {
                    using (var file = StoreFiles.CreateOwnerOnlyFile(temp))
                    {
                        file.Write(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
                        file.Flush(flushToDisk: true);
                    }

                    try
                    {
                        // Another process may have made it first: then its key is the one, and ours goes.
                        File.Move(temp, path, overwrite: false);
                    }
                    catch (IOException) when (File.Exists(path))
                    {
                    }
                    finally
                    {
                        File.Delete(temp);
                    }
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unavailable(path, e);
            }
        }
    }

    /// <summary>
    /// Removes every client's record for one store (a store restored or created at a path on purpose, by this user): the
    /// records keep the store identity in clear at a fixed place, so they are found without any client's key.
    /// </summary>
    public static void ForgetStore(ReadOnlySpan<byte> storeIdentity)
    {
        var directory = Directory();
        if (!System.IO.Directory.Exists(directory))
        {
            return;
        }

        var identity = storeIdentity.ToArray();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            if (Path.GetFileName(path).Contains('.', StringComparison.Ordinal) || Path.GetFileName(path) == "key")
            {
                continue;
            }

            var header = new byte[ClientOffset];
            try
            {
                using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
                {
                    file.ReadExactly(header);
                }

                if (header.AsSpan(IdentityOffset, IdentityLength).SequenceEqual(identity))
                {
                    using var held = Lock(path);
                    File.Delete(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A record being replaced, or too short to be one: it names another store, or the next check reports it.
            }
        }
    }

    private static string Directory() =>
        Environment.GetEnvironmentVariable(StateDirectoryVariable) is { Length: > 0 } directory
            ? directory
            : Path.Combine(StoreFiles.DefaultStateDirectory(), "heads");

    private static string TempPath(string path) => path + ".tmp";

    private static VerifiedHead? Read(string path, ReadOnlySpan<byte> storeIdentity, Guid clientId, ReadOnlySpan<byte> key)
    {
        var bytes = new byte[FileLength];
        int read;
        try
        {
            // FileShare.Delete: on Windows a writer's rename over the record must not fail because it is being read.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            if (file.Length != FileLength)
            {
                throw Tampered(path);
            }

            read = file.ReadAtLeast(bytes, FileLength, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(path, e);
        }

        // The MAC first: nothing in a record is believed before it verifies.
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, bytes.AsSpan(0, MacOffset), mac);
        if (read != FileLength || !CryptographicOperations.FixedTimeEquals(mac, bytes.AsSpan(MacOffset))
            || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic) || bytes[VersionOffset] != Version
            || !bytes.AsSpan(IdentityOffset, IdentityLength).SequenceEqual(storeIdentity)
            || new Guid(bytes.AsSpan(ClientOffset, 16), bigEndian: true) != clientId
            || BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(SequenceOffset)) < 1)
        {
            throw Tampered(path);
        }

        return new VerifiedHead(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(SequenceOffset)), bytes[HashOffset..MacOffset]);
    }

    private static byte[] Encode(ReadOnlySpan<byte> storeIdentity, Guid clientId, VerifiedHead head, ReadOnlySpan<byte> key)
    {
        var bytes = new byte[FileLength];
        Magic.CopyTo(bytes);
        bytes[VersionOffset] = Version;
        storeIdentity.CopyTo(bytes.AsSpan(IdentityOffset));
        clientId.TryWriteBytes(bytes.AsSpan(ClientOffset), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(SequenceOffset), head.Sequence);
        head.Hash.CopyTo(bytes.AsSpan(HashOffset));
        HMACSHA256.HashData(key, bytes.AsSpan(0, MacOffset), bytes.AsSpan(MacOffset));
        return bytes;
    }

    /// <summary>
    /// Replaces the record whole: a new owner-only file beside it, flushed to disk, renamed over it. A reader (or a
    /// crash) sees the old record or the new one, never a mix. Called under the lock, so the temporary name is ours.
    /// </summary>
    private static void Write(string path, byte[] bytes)
    {
        var temp = TempPath(path);
        Io(path, () =>
        {
            // A writer that crashed between creating and renaming it left this; the lock says no one else writes it now.
            File.Delete(temp);
            var completed = false;
            try
            {
                using (var file = StoreFiles.CreateOwnerOnlyFile(temp))
                {
                    file.Write(bytes);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temp, path, overwrite: true);
                completed = true;
            }
            finally
            {
                if (!completed)
                {
                    File.Delete(temp);
                }
            }
        });
    }

    /// <summary>
    /// Takes the record's lock: an exclusive open of <c>&lt;record&gt;.lock</c> (flock on Unix, a share mode on Windows),
    /// released when the handle closes or the process dies, so a crashed writer never leaves it held.
    /// </summary>
    private static FileStream Lock(string path)
    {
        var lockPath = path + ".lock";
        if (!File.Exists(lockPath))
        {
            try
            {
                // Made like the record: owner-only, in an owner-only directory created if missing.
                StoreFiles.CreateOwnerOnlyFile(lockPath).Dispose();
            }
            catch (ConflictException) when (File.Exists(lockPath))
            {
                // Another process created it first; lock theirs.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unavailable(path, e);
            }
        }

        var deadline = Environment.TickCount64 + LockTimeoutMilliseconds;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                if (Environment.TickCount64 >= deadline)
                {
                    throw new StoreUnavailableException(
                        $"The local head record '{path}' stayed locked by another SecretOps process for {LockTimeoutMilliseconds / 1000} s.", path, innerException: e);
                }

                Thread.Sleep(Random.Shared.Next(5, 25));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unavailable(path, e);
            }
        }
    }

    private static void Io(string path, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(path, e);
        }
    }

    private static TamperedException Tampered(string path) => new($"The local head record '{path}'");

    private static StoreUnavailableException Unavailable(string path, Exception e) =>
        new($"The local head record '{path}' cannot be read or written: {e.Message}", path, innerException: e);

    private static void RequireLength(ReadOnlySpan<byte> value, int length, string name)
    {
        if (value.Length != length)
        {
            throw new ArgumentException($"Must be {length} bytes, not {value.Length}.", name);
        }
    }
}
