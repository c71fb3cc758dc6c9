using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Every bad input gets a specific error and leaves the store as it was: the sorted contents of every table
/// except the audit log are compared before and after (failures may be audited; nothing else changes).
/// Cases: 24 names (each through set, get, remove, history and restore), 7 namespace lookups, 6 times to
/// live, 10 metadata, 4 oversized values, 7 versions, 7 namespace settings.
/// </summary>
public class BadInputTests
{
    private static T Refused<T>(TempStore store, Session session, Action action, string errorId, string messageContains)
        where T : SecretOpsException
    {
        session.FlushAudit();
        var before = RawDb.Fingerprint(store.Path, "audit");
        var error = Assert.Throws<T>(action);
        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains(messageContains, error.Message, StringComparison.OrdinalIgnoreCase);
        session.FlushAudit();
        Assert.Equal(before, RawDb.Fingerprint(store.Path, "audit"));
        return error;
    }

    private static InvalidParameterException Invalid(TempStore store, Session session, Action action, string messageContains) =>
        Refused<InvalidParameterException>(store, session, action, "SecretOps.InvalidParameter", messageContains);

    private static Session Prepared(TempStore store)
    {
        var session = store.ConnectSystem();
        session.SetSecret("default", "existing", SecretValue.FromString("v1"));
        session.FlushAudit();
        return session;
    }

    // Names are looked up by label: xunit serializes theory data, and lone surrogates do not survive that.
    private static readonly Dictionary<string, (string Name, string Message)> BadNameCases = new()
    {
        ["empty"] = ("", "empty"),
        ["257 characters"] = (new string('n', 257), "at most 256"),
        ["U+0001"] = ("a\u0001b", "control characters (U+0001"),
        ["tab"] = ("tab\there", "control characters (U+0009"),
        ["newline"] = ("new\nline", "control characters (U+000A"),
        ["DEL"] = ("del\u007f", "control characters (U+007F"),
        ["C1 NEL"] = ("c1\u0085", "control characters (U+0085"),
        ["unpaired high surrogate"] = ("unpaired\ud800high", "unpaired surrogate"),
        ["trailing high surrogate"] = ("trailing-high\ud83d", "unpaired surrogate"),
        ["lone low surrogate"] = ("\udc00lone-low", "unpaired surrogate"),
        ["reversed surrogate pair"] = ("x\udd11\ud83dy", "unpaired surrogate"),
        ["leading space"] = (" leading", "white space"),
        ["trailing space"] = ("trailing ", "white space"),
        ["only spaces"] = ("   ", "white space"),
        ["leading no-break space"] = ("\u00A0nbsp", "white space"),
        ["trailing ideographic space"] = ("wide\u3000", "white space"),
        ["NUL"] = ("a\u0000b", "control characters (U+0000"),
        ["ANSI escape sequence"] = ("\u001b[31mred", "control characters (U+001B"),
        ["carriage return"] = ("line\rover", "control characters (U+000D"),
        ["4096 characters"] = (new string('n', 4096), "this one has 4096"),
        ["right-to-left override U+202E"] = ("invoice\u202Efdp.exe", "bidirectional formatting characters (U+202E"),
        ["left-to-right embedding U+202A"] = ("a\u202Ab", "bidirectional formatting characters (U+202A"),
        ["right-to-left isolate U+2067"] = ("a\u2067b\u2069", "bidirectional formatting characters (U+2067"),
        ["right-to-left mark U+200F"] = ("\u200Fmark", "bidirectional formatting characters (U+200F"),
    };

    public static TheoryData<string> BadNames() => new(BadNameCases.Keys);

    [Theory]
    [MemberData(nameof(BadNames))]
    public void BadSecretName_IsRefusedEverywhere_AndChangesNothing(string label)
    {
        var (name, message) = BadNameCases[label];
        using var store = new TempStore();
        using var session = Prepared(store);
        Invalid(store, session, () => session.SetSecret("default", name, SecretValue.FromString("x")), message);
        Invalid(store, session, () => session.GetSecret("default", name), message);
        Invalid(store, session, () => session.RemoveSecret("default", name), message);
        Invalid(store, session, () => session.GetHistory("default", name), message);
        Invalid(store, session, () => session.RestoreVersion("default", name, 1), message);
    }

    [Fact]
    public void NameOf256Characters_AndASurrogatePair_AreAccepted()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var longest = new string('n', 255) + "x";
        session.SetSecret("default", longest, SecretValue.FromString("v"));
        session.SetSecret("default", "emoji 🔑 key", SecretValue.FromString("v"));
        Assert.Equal(["emoji 🔑 key", longest], session.ListSecrets("default").Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ErrorMessages_ShowRefusedNamesSafely()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var error = Assert.Throws<InvalidParameterException>(() => session.SetSecret("bad\u001b[31mns", "x", SecretValue.FromString("v")));
        Assert.DoesNotContain("\u001b", error.Message, StringComparison.Ordinal);
        Assert.Contains("\\u001b", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownNamespace_IsNotFound_AndChangesNothing()
    {
        using var store = new TempStore();
        using var session = Prepared(store);
        Refused<NotFoundException>(store, session, () => session.SetSecret("nowhere", "x", SecretValue.FromString("v")), "SecretOps.NotFound", "Namespace 'nowhere' does not exist");
        Refused<NotFoundException>(store, session, () => session.GetSecret("nowhere", "x"), "SecretOps.NotFound", "Namespace 'nowhere'");
        Refused<NotFoundException>(store, session, () => session.ListSecrets("nowhere"), "SecretOps.NotFound", "Namespace 'nowhere'");
        Refused<NotFoundException>(store, session, () => session.GetSecret("default", "missing"), "SecretOps.NotFound", "Secret 'missing' does not exist");
        Refused<NotFoundException>(store, session, () => session.GetSecret("default", "existing", 7), "SecretOps.NotFound", "no version 7");
        Invalid(store, session, () => session.SetSecret("bad namespace", "x", SecretValue.FromString("v")), "namespace name");
        Invalid(store, session, () => session.SetSecret(new string('n', 65), "x", SecretValue.FromString("v")), "namespace name");
    }

    [Fact]
    public void ZeroOrNegativeTimeToLive_IsRefused()
    {
        using var store = new TempStore();
        using var session = Prepared(store);
        Invalid(store, session, () => session.SetSecret("default", "existing", SecretValue.FromString("v2"), new SetSecretOptions { TimeToLive = TimeSpan.Zero }), "must be positive");
        Invalid(store, session, () => session.SetSecret("default", "new", SecretValue.FromString("v"), new SetSecretOptions { TimeToLive = TimeSpan.FromSeconds(-5) }), "must be positive");
        Invalid(store, session, () => session.SetSecret("default", "new", SecretValue.FromString("v"), new SetSecretOptions { TimeToLive = TimeSpan.FromDays(36526) }), "at most 100 years");
        Assert.Contains("not a time to live", Assert.Throws<InvalidParameterException>(() => TimeToLive.Parse("0")).Message, StringComparison.Ordinal);
        Assert.Contains("positive", Assert.Throws<InvalidParameterException>(() => TimeToLive.Parse("0s")).Message, StringComparison.Ordinal);
        Assert.Contains("not a time to live", Assert.Throws<InvalidParameterException>(() => TimeToLive.Parse("-5m")).Message, StringComparison.Ordinal);
    }

    // Found by fuzzing (tests/SecretOps.Fuzz, duration harness): each unit's count is capped at 10^9, but
    // TimeSpan.FromHours/FromDays overflowed below that with an OverflowException instead of the refusal.
    [Theory]
    [InlineData("2222222w")]
    [InlineData("311111112h")]
    [InlineData("12222222d")]
    [InlineData("1000000000w")]
    [InlineData("1000000000m")]
    [InlineData("1h1000000000d")]
    public void TimeToLiveBeyondWhatATimeSpanHolds_IsRefused_NotAnOverflow(string text) =>
        Assert.Contains("at most 100 years", Assert.Throws<InvalidParameterException>(() => TimeToLive.Parse(text)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("999999999s", 999_999_999L)]
    [InlineData("5217w", 5217L * 7 * 86_400)]
    [InlineData("36525d", 36_525L * 86_400)]
    [InlineData("1w1d1h1m1s", 694_861L)]
    public void TimeToLive_UpToOneHundredYears_IsExact(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), TimeToLive.Parse(text));

    public static TheoryData<string> BadMetadataCases() =>
        ["33 entries", "1025-character string", "double value", "Guid value", "nested table", "null value", "bad key", "65-character key", "control character in value", "keys equal ignoring case"];

    [Theory]
    [MemberData(nameof(BadMetadataCases))]
    public void MalformedOrOversizedMetadata_IsRefused(string which)
    {
        var (metadata, message) = which switch
        {
            "33 entries" => (Enumerable.Range(0, 33).ToDictionary(i => $"k{i}", i => (object)i), "at most 32"),
            "1025-character string" => (new Dictionary<string, object> { ["note"] = new string('x', 1025) }, "longer than 1024"),
            "double value" => (new Dictionary<string, object> { ["n"] = 1.5 }, "Double"),
            "Guid value" => (new Dictionary<string, object> { ["id"] = Guid.NewGuid() }, "Guid"),
            "nested table" => (new Dictionary<string, object> { ["t"] = new Dictionary<string, object>() }, "allowed are string, int, long, bool and DateTime"),
            "null value" => (new Dictionary<string, object> { ["n"] = null! }, "has no value"),
            "bad key" => (new Dictionary<string, object> { ["bad key!"] = "v" }, "Metadata key"),
            "65-character key" => (new Dictionary<string, object> { [new string('k', 65)] = "v" }, "Metadata key"),
            "control character in value" => (new Dictionary<string, object> { ["note"] = "a\u0000b" }, "control characters"),
            _ => ((Dictionary<string, object>)new Dictionary<string, object>(StringComparer.Ordinal) { ["Env"] = "a", ["env"] = "b" }, "given twice"),
        };
        using var store = new TempStore();
        using var session = Prepared(store);
        Invalid(store, session, () => session.SetSecret("default", "existing", SecretValue.FromString("v2"), new SetSecretOptions { Metadata = metadata }), message);
        Invalid(store, session, () => session.SetSecret("default", "new", SecretValue.FromString("v"), new SetSecretOptions { Metadata = metadata }), message);
    }

    [Fact]
    public void MetadataAtTheLimits_IsAccepted()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var metadata = Enumerable.Range(0, 31).ToDictionary(i => $"k{i}", i => (object)i);
        metadata["note"] = new string('x', 1024);
        var entry = session.SetSecret("default", "x", SecretValue.FromString("v"), new SetSecretOptions { Metadata = metadata });
        Assert.Equal(32, entry.Metadata.Count);
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void ValueOverOneMebibyte_IsRefused_BeforeItReachesTheStore()
    {
        using var store = new TempStore();
        using var session = Prepared(store);
        // The serialized form is 2 header bytes + payload; the limit is on the serialized form.
        var refusedBytes = Assert.Throws<InvalidParameterException>(() => SecretValue.FromBytes(new byte[SecretValue.MaxSize - 1]));
        Assert.Contains("limit is 1048576 bytes", refusedBytes.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidParameterException>(() => SecretValue.FromString(new string('x', SecretValue.MaxSize)));
        Assert.Throws<InvalidParameterException>(() => SecretValue.FromCredential("u", new string('p', SecretValue.MaxSize)));
        Assert.Throws<InvalidParameterException>(() => SecretValue.FromTable(new Dictionary<string, SecretValue>
        {
            ["a"] = SecretValue.FromBytes(new byte[SecretValue.MaxSize / 2]),
            ["b"] = SecretValue.FromBytes(new byte[SecretValue.MaxSize / 2]),
        }));

        var before = RawDb.Fingerprint(store.Path, "audit");
        using var largest = SecretValue.FromBytes(new byte[SecretValue.MaxSize - 2]);
        session.SetSecret("default", "largest", largest);
        using var read = session.GetSecret("default", "largest");
        Assert.Equal(SecretValue.MaxSize - 2, read.Value.GetBytes().Length);
        Assert.NotEqual(before, RawDb.Fingerprint(store.Path, "audit"));
    }

    [Fact]
    public void NegativeExpectedVersion_AndVersionZero_AreRefused()
    {
        using var store = new TempStore();
        using var session = Prepared(store);
        Invalid(store, session, () => session.SetSecret("default", "existing", SecretValue.FromString("v2"), new SetSecretOptions { ExpectedVersion = -1 }), "cannot be negative");
        Invalid(store, session, () => session.GetSecret("default", "existing", 0), "start at 1");
        Invalid(store, session, () => session.GetSecret("default", "existing", -3), "start at 1");
        Invalid(store, session, () => session.RestoreVersion("default", "existing", 0), "start at 1");
        Refused<ConflictException>(store, session, () => session.SetSecret("default", "existing", SecretValue.FromString("v2"), new SetSecretOptions { ExpectedVersion = 5 }),
            "SecretOps.Conflict", "not the expected 5");
        Refused<ConflictException>(store, session, () => session.SetSecret("default", "fresh", SecretValue.FromString("v"), new SetSecretOptions { ExpectedVersion = 1 }),
            "SecretOps.Conflict", "does not exist");
        Refused<ConflictException>(store, session, () => session.RemoveSecret("default", "existing", 1), "SecretOps.Conflict", "current version");
    }

    [Fact]
    public void BadNamespaceSettings_AreRefused()
    {
        using var store = new TempStore();
        using var session = Prepared(store);
        Invalid(store, session, () => session.CreateNamespace("ns", maxVersions: 0), "Retention");
        Invalid(store, session, () => session.CreateNamespace("ns", maxVersions: Session.MaxRetention + 1), "Retention");
        Invalid(store, session, () => session.CreateNamespace("ns", description: new string('d', 1025)), "description");
        Invalid(store, session, () => session.CreateNamespace("ns", description: "bell\u0007"), "description");
        Invalid(store, session, () => session.CreateNamespace("-leading-dash"), "namespace name");
        // .NET's '$' also matches before a final newline: names are matched to the very end.
        Invalid(store, session, () => session.CreateNamespace("ns\n"), "namespace name");
        Invalid(store, session, () => session.AddClient("robot\n", new ClientCredentialSpec { Kind = ClientKind.Generated }), "client name");
        Refused<ConflictException>(store, session, () => session.CreateNamespace("DEFAULT"), "SecretOps.Conflict", "already exists");
        Invalid(store, session, () => session.RemoveNamespace("default", force: true), "default namespace");
    }
}
