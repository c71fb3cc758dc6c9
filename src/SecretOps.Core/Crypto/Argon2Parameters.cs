namespace SecretOps.Core.Crypto;

/// <summary>Argon2 variants (RFC 9106 §3.1); the values are the type codes hashed into H0.</summary>
public enum Argon2Type
{
    /// <summary>Data-dependent addressing.</summary>
    Argon2d = 0,

    /// <summary>Data-independent addressing.</summary>
    Argon2i = 1,

    /// <summary>Hybrid: independent for the first half pass, then dependent. What SecretOps uses.</summary>
    Argon2id = 2,
}

/// <summary>Argon2 versions; 0x13 is current, 0x10 exists for legacy vectors.</summary>
public enum Argon2Version
{
    /// <summary>Version 1.0: later passes overwrite blocks.</summary>
    Version10 = 0x10,

    /// <summary>Version 1.3 (RFC 9106): later passes XOR into blocks.</summary>
    Version13 = 0x13,
}

/// <summary>
/// Argon2 cost parameters. The constructor enforces RFC 9106's ranges; <see cref="EnsureAcceptable"/>
/// applies SecretOps' policy (a floor for passphrase-protected keys, caps on what a stored header may demand).
/// </summary>
public sealed record Argon2Parameters
{
    /// <summary>Defaults for new passphrase clients: Argon2id, m = 256 MiB, t = 3, p = 4.</summary>
    public static readonly Argon2Parameters Default = new(Argon2Type.Argon2id, iterations: 3, memoryKiB: 256 * 1024, parallelism: 4);

    /// <summary>The floor below which parameters are weak (RFC 9106's second recommended option: 64 MiB, t = 3).</summary>
    public static readonly Argon2Parameters Floor = new(Argon2Type.Argon2id, iterations: 3, memoryKiB: 64 * 1024, parallelism: 1);

    /// <summary>Largest memory a stored header may demand before anything is authenticated: 4 GiB.</summary>
    public const int MaxMemoryKiB = 4 * 1024 * 1024;

    /// <summary>Most passes a stored header may demand.</summary>
    public const int MaxIterations = 16;

    /// <summary>Most lanes a stored header may demand.</summary>
    public const int MaxParallelism = 64;

    /// <summary>Least memory a command may give a new store, in MiB (below <see cref="Floor"/>'s only for a weak store).</summary>
    public const int MinMemoryMiB = 1;

    /// <summary>Most memory a command may give a new store, in MiB: <see cref="MaxMemoryKiB"/>.</summary>
    public const int MaxMemoryMiB = MaxMemoryKiB / 1024;

    /// <summary>
    /// The Argon2id parameters of a new store from what a command was given (memory in MiB; null takes
    /// <see cref="Default"/>'s value), checked against every rule a store's KDF must meet: memory
    /// <see cref="MinMemoryMiB"/>–<see cref="MaxMemoryMiB"/> MiB, RFC 9106's ranges, the caps of
    /// <see cref="EnsureAcceptable"/> and, unless <paramref name="allowWeak"/>, the <see cref="Floor"/>. Every
    /// surface creates a store with this, so each refuses the same values with <c>SecretOps.InvalidParameter</c>,
    /// before anything is asked for or written.
    /// </summary>
    public static Argon2Parameters ForNewStore(int? memoryMiB, int? iterations, int? parallelism, bool allowWeak)
    {
        if (memoryMiB is < MinMemoryMiB or > MaxMemoryMiB)
        {
            throw new InvalidParameterException("kdf", $"The Argon2 memory must be {MinMemoryMiB}–{MaxMemoryMiB} MiB; got {memoryMiB} MiB.");
        }

        var kdf = new Argon2Parameters(
            Argon2Type.Argon2id, iterations ?? Default.Iterations, memoryMiB is { } mebibytes ? mebibytes * 1024 : Default.MemoryKiB, parallelism ?? Default.Parallelism);
        kdf.EnsureAcceptable(allowWeak);
        return kdf;
    }

    /// <summary>Creates and range-checks parameters.</summary>
    public Argon2Parameters(Argon2Type type, int iterations, int memoryKiB, int parallelism, Argon2Version version = Argon2Version.Version13)
    {
        if (!Enum.IsDefined(type))
        {
            throw new InvalidParameterException(nameof(type), $"Unknown Argon2 type {(int)type}.");
        }

        if (!Enum.IsDefined(version))
        {
            throw new InvalidParameterException(nameof(version), $"Unknown Argon2 version 0x{(int)version:x}; expected 0x10 or 0x13.");
        }

        if (iterations < 1)
        {
            throw new InvalidParameterException(nameof(iterations), $"Argon2 needs at least 1 iteration; got {iterations}.");
        }

        if (parallelism is < 1 or > 0xFFFFFF)
        {
            throw new InvalidParameterException(nameof(parallelism), $"Argon2 parallelism must be 1–16777215; got {parallelism}.");
        }

        if (memoryKiB < 8 * parallelism)
        {
            throw new InvalidParameterException(nameof(memoryKiB), $"Argon2 needs at least 8 KiB of memory per lane ({8 * parallelism} KiB for {parallelism} lanes); got {memoryKiB} KiB.");
        }

        Type = type;
        Iterations = iterations;
        MemoryKiB = memoryKiB;
        Parallelism = parallelism;
        Version = version;
    }

    /// <summary>The variant.</summary>
    public Argon2Type Type { get; }

    /// <summary>Passes over memory (t).</summary>
    public int Iterations { get; }

    /// <summary>Memory in KiB (m).</summary>
    public int MemoryKiB { get; }

    /// <summary>Lanes (p). Changes the result; threads used may be fewer.</summary>
    public int Parallelism { get; }

    /// <summary>The algorithm version.</summary>
    public Argon2Version Version { get; }

    /// <summary>
    /// Applies SecretOps' policy: parameters above the caps are always refused (a tampered header must
    /// not make us allocate or spin without bound); parameters below <see cref="Floor"/>, or anything but
    /// Argon2id v1.3, are refused unless <paramref name="allowWeak"/> (tests, explicitly weak stores).
    /// </summary>
    public void EnsureAcceptable(bool allowWeak)
    {
        if (MemoryKiB > MaxMemoryKiB || Iterations > MaxIterations || Parallelism > MaxParallelism)
        {
            throw new InvalidParameterException("kdf",
                $"Argon2 parameters m={MemoryKiB} KiB, t={Iterations}, p={Parallelism} exceed the limits (m ≤ {MaxMemoryKiB} KiB, t ≤ {MaxIterations}, p ≤ {MaxParallelism}).");
        }

        if (allowWeak)
        {
            return;
        }

        if (Type != Argon2Type.Argon2id || Version != Argon2Version.Version13)
        {
            throw new InvalidParameterException("kdf", $"Only Argon2id version 1.3 protects passphrases; got {Type} version 0x{(int)Version:x}.");
        }

        if (MemoryKiB < Floor.MemoryKiB || Iterations < Floor.Iterations)
        {
            throw new InvalidParameterException("kdf",
                $"Argon2 parameters m={MemoryKiB} KiB, t={Iterations} are weaker than the minimum m={Floor.MemoryKiB} KiB, t={Floor.Iterations}; create the store or client as weak to allow them.");
        }
    }
}
