using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Hostile input that is accepted, and must be accepted safely: names that look like SQL, paths, markup or
/// another name are stored literally, round-trip, and never touch a neighbouring row; values of any bytes
/// round-trip exactly. (The refused side of the corpus is in BadInputTests, StoreFileTests, ConfigFileTests,
/// ConnectorTests and the CLI's HostileInputTests.)
/// Cases here: 21 names (11 lookalikes, 10 metacharacter/path names), 3 case variants that are one name,
/// and 7 byte values.
/// </summary>
public class HostileInputTests
{
    // By label: xunit serialises theory data, and these strings must reach the test exactly as written.
    // Each name is stored beside its twin; SecretOps folds case (invariant upper case) and nothing else, so
    // every pair must stay two secrets. Folding them would let one name be read or overwritten as the other.
    private static readonly Dictionary<string, (string Name, string Twin)> AcceptedNameCases = new()
    {
        ["Cyrillic а for Latin a"] = ("\u0430pple", "apple"),
        ["Greek omicron for Latin o"] = ("r\u03BFot", "root"),
        ["fullwidth letters"] = ("\uFF41\uFF50\uFF49", "api"),
        ["zero-width joiner inside"] = ("ap\u200Dple", "apple"),
        ["zero-width space inside"] = ("ap\u200Bple", "apple"),
        ["combining acute accent"] = ("apple\u0301", "apple"),
        ["NFD é against NFC é"] = ("cafe\u0301", "caf\u00E9"),
        ["Turkish dotless ı"] = ("\u0131d", "id"),
        ["Turkish dotted İ"] = ("\u0130D", "ID"),
        ["Kelvin sign K"] = ("\u212Aey", "key"),
        ["no-break space inside"] = ("api\u00A0key", "api key"),
        ["SQL quote and comment"] = ("x'; DROP TABLE secrets;--", "x"),
        ["SQL LIKE wildcards"] = ("100%_done", "1000done"),
        ["SQL double quotes and semicolons"] = ("\"secrets\"; DELETE FROM versions", "secrets"),
        ["relative path traversal"] = ("../../etc/passwd", "passwd"),
        ["Windows path"] = ("..\\..\\Windows\\win.ini", "win.ini"),
        ["absolute path"] = ("/etc/shadow", "shadow"),
        ["YAML and JSON markup"] = ("{\"a\": 1}: &x !!binary |", "a"),
        ["shell metacharacters"] = ("$(id); | & > < \"$HOME\"", "id-shell"),
        ["format specifiers"] = ("%s%n{0}%x", "format"),
        ["emoji ZWJ sequence"] = ("\U0001F469\u200D\U0001F4BB token", "\U0001F469\U0001F4BB token"),
    };

    public static TheoryData<string> AcceptedNames() => new(AcceptedNameCases.Keys);

    [Trait("Backend", "SqliteOnly")]
    [Theory]
    [MemberData(nameof(AcceptedNames))]
    public void HostileButValidName_IsStoredLiterally_AndNeverMeetsItsTwin(string label)
    {
        var (name, twin) = AcceptedNameCases[label];
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "bystander", SecretValue.FromString("untouched"));
        session.SetSecret("default", twin, SecretValue.FromString("twin"));
        session.FlushAudit();
        var bystander = RawDb.Rows(store.Path, "versions").Count;

        var created = session.SetSecret("default", name, SecretValue.FromString("hostile"));
        Assert.Equal(name, created.Name);
        Assert.Equal(1, created.Version);
        Assert.Equal(bystander + 1, RawDb.Rows(store.Path, "versions").Count);

        // Listed under its own name, found by literal and by prefix lookup, and each name reads its own value.
        Assert.Equal(new[] { "bystander", name, twin }.Order(StringComparer.Ordinal), session.ListSecrets("default").Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal([name], session.ListSecrets("default", name).Select(e => e.Name));
        Assert.Contains(name, session.ListSecrets("default", name + "*").Select(e => e.Name));
        Assert.DoesNotContain(twin, session.ListSecrets("default", name + "*").Select(e => e.Name));
        AssertValue(session, name, "hostile");
        AssertValue(session, twin, "twin");

        // Writing and removing it leaves the twin and the bystander exactly as they were.
        Assert.Equal(2, session.SetSecret("default", name, SecretValue.FromString("hostile 2")).Version);
        session.RemoveSecret("default", name);
        Assert.Equal(1, session.GetHistory("default", twin).Single().Version);
        AssertValue(session, twin, "twin");
        AssertValue(session, "bystander", "untouched");
        Assert.True(session.Check().IsHealthy);
    }

    // Case variants by Unicode's simple case mapping are one name (the documented rule), however they look.
    public static TheoryData<string, string> CaseVariants() => new()
    {
        { "db", "DB" },
        { "\u00C9mile", "\u00E9mile" },
        { "\u03BB\u03CC\u03B3\u03BF\u03C2", "\u039B\u038C\u0393\u039F\u03A3" },
    };

    [Theory]
    [MemberData(nameof(CaseVariants))]
    public void CaseVariants_AreOneSecret_KeepingTheFirstSpelling(string first, string variant)
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", first, SecretValue.FromString("one"));
        var second = session.SetSecret("default", variant, SecretValue.FromString("two"));
        Assert.Equal((first, 2), (second.Name, second.Version));
        AssertValue(session, variant, "two");
        Assert.Equal([first], session.ListSecrets("default").Select(e => e.Name));
    }

    private static void AssertValue(Session session, string name, string expected)
    {
        using var read = session.GetSecret("default", name);
        Assert.Equal(expected, read.Value.GetString());
    }

    public static TheoryData<string> ByteValues() =>
        ["empty", "one NUL", "invalid UTF-8 (FF FE 80)", "lone UTF-8 continuation bytes", "UTF-16 BOM and text", "overlong NUL (C0 80)", "largest allowed, random"];

    [Theory]
    [MemberData(nameof(ByteValues))]
    public void AnyBytes_RoundTripExactly_AsBytes(string label)
    {
        var seed = Random.Shared.Next();
        var bytes = label switch
        {
            "empty" => [],
            "one NUL" => [0],
            "invalid UTF-8 (FF FE 80)" => [0xFF, 0xFE, 0x80],
            "lone UTF-8 continuation bytes" => [0x80, 0xBF, 0x80],
            "UTF-16 BOM and text" => [0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00],
            "overlong NUL (C0 80)" => [0xC0, 0x80],
            _ => RandomBytes(seed, SecretValue.MaxSize - 2),
        };
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "blob", SecretValue.FromBytes(bytes));
        using var read = session.GetSecret("default", "blob");
        Assert.Equal(SecretValueType.Bytes, read.Value.Type);
        Assert.True(bytes.AsSpan().SequenceEqual(read.Value.GetBytes()), $"{label} did not round-trip (seed {seed})");
        Assert.True(bytes.AsSpan().SequenceEqual(read.Value.ToOutputBytes()), $"{label}: 'secret get' would print other bytes (seed {seed})");
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
