namespace SecretOps.Server.Storage;

/// <summary>Whether the server serves an enrolled client's requests; the operator switches it with <c>disable</c> and <c>enable</c>.</summary>
public enum EnrolmentStatus
{
    /// <summary>Its signed requests are served.</summary>
    Active,

    /// <summary>Every request is refused, from the next one on; the key stays so that <c>enable</c> needs no new enrolment.</summary>
    Disabled,
}
