using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>The one check every ledger makes on its input before touching storage.</summary>
internal static class NonceInput
{
    /// <summary>Throws unless <paramref name="nonce"/> is <see cref="RequestSignature.NonceLength"/> bytes: a caller's bug, not a storage failure.</summary>
    public static void RequireLength(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != RequestSignature.NonceLength)
        {
            throw new ArgumentException($"A nonce is {RequestSignature.NonceLength} bytes, not {nonce.Length}.", nameof(nonce));
        }
    }
}
