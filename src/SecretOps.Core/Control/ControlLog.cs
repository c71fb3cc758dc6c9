namespace SecretOps.Core.Control;

/// <summary>Writes the control log: each new entry signed by its author, chained onto the verified state's head.</summary>
internal static class ControlLog
{
    /// <summary>
    /// The entry that follows <paramref name="state"/> (null: the genesis entry), signed with <paramref name="key"/> as
    /// <paramref name="authorId"/>. It is not checked: use <see cref="Append"/> to be refused before anything is written.
    /// </summary>
    public static SignedControlEntry Sign(AccessState? state, Guid authorId, ClientSigningKey key, ControlEntry entry)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(entry);
        var sequence = (state?.Sequence ?? 0) + 1;
        var previous = state is null ? SignedControlEntry.NoPreviousHash.ToArray() : state.HeadHash.ToArray();
        var body = entry.Encode();
        var signature = key.Sign(SignedControlEntry.SignedBytes(sequence, previous, authorId, body));
        return new SignedControlEntry(sequence, previous, authorId, body, signature);
    }

    /// <summary>Signs the next entry and replays it, so an entry the log would refuse is refused here, before it is stored.</summary>
    public static (SignedControlEntry Entry, AccessState State) Append(AccessState? state, Guid authorId, ClientSigningKey key, ControlEntry entry)
    {
        var signed = Sign(state, authorId, key, entry);
        // The author's key in the state must be the one that signed: otherwise the entry would be refused on replay.
        if (state?.Client(authorId) is { } author && !author.SigningKey.SameKeyAs(key.VerifyingKey))
        {
            return (signed, ControlReplay.Apply(state, signed));
        }

        return (signed, state is null ? ControlReplay.Apply(null, signed) : ControlReplay.ApplyOwn(state, signed));
    }
}
