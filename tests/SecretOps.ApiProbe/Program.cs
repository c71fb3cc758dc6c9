using System.Globalization;
using System.Text;
using SecretOps;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;

// Usage (every name and value is UTF-8 text on the command line; a SecretOps error exits 1 with "<error id>: <message>" on
// standard error):
//   SecretOps.ApiProbe name-keys [CULTURE]   Standard input: names, one a line, as their UTF-16 code units in hex separated
//                                            by spaces (so unpaired surrogates can be given). Standard output: one line on
//                                            this process's own casing (see Describe), then each name's key (Names.LookupKey)
//                                            written the same way. CULTURE, when given, becomes the current culture.
//   SecretOps.ApiProbe set STORE NS NAME VALUE   Stores a text value as the System client (passphrase in SECRETOPS_PASSPHRASE)
//                                                and prints the version it made.
//   SecretOps.ApiProbe get STORE NS NAME         Prints the value, with no newline.
//   SecretOps.ApiProbe list STORE NS             Prints the secret names, one a line.
Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
try
{
    switch (args)
    {
        case ["name-keys", .. var culture]:
            if (culture is [var cultureName])
            {
                CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.DefaultThreadCurrentCulture = CultureInfo.GetCultureInfo(cultureName);
            }

            Console.Out.Write(Describe() + "\n");
            while (Console.In.ReadLine() is { } line)
            {
                Console.Out.Write(Hex(Names.LookupKey(FromHex(line))) + "\n");
            }

            return 0;
        case ["set", var path, var ns, var name, var value]:
            using (var session = Connect(path))
            using (var secret = SecretValue.FromString(value))
            {
                Console.Out.Write(session.SetSecret(ns, name, secret).Version.ToString(CultureInfo.InvariantCulture) + "\n");
            }

            return 0;
        case ["get", var path, var ns, var name]:
            using (var session = Connect(path))
            using (var read = session.GetSecret(ns, name))
            {
                Console.Out.Write(read.Value.GetString());
            }

            return 0;
        case ["list", var path, var ns]:
            using (var session = Connect(path))
            {
                foreach (var entry in session.ListSecrets(ns, includeExpired: true))
                {
                    Console.Out.Write(entry.Name + "\n");
                }
            }

            return 0;
        default:
            Console.Error.WriteLine("usage: SecretOps.ApiProbe name-keys [CULTURE] | set STORE NS NAME VALUE | get STORE NS NAME | list STORE NS");
            return 2;
    }
}
catch (SecretOpsException e)
{
    Console.Error.WriteLine($"{e.ErrorId}: {e.Message}");
    return 1;
}

static Session Connect(string path) =>
    SecretStore.Open(path).Connect(SecretStore.SystemClientName, ClientCredential.FromPassphrase(Environment.GetEnvironmentVariable("SECRETOPS_PASSPHRASE") ?? ""));

// What the runtime's own casing does here, so a test can tell the process really runs in the mode and culture it meant:
// ICU maps ſ to S where invariant mode leaves it, and only a Turkish culture upper-cases i to İ.
static string Describe() =>
    $"culture={CultureInfo.CurrentCulture.Name} ToUpperInvariant(ſ)={Hex("\u017F".ToUpperInvariant())} ToUpper(i)={Hex("i".ToUpper(CultureInfo.CurrentCulture))}";

static string Hex(string text) => string.Join(" ", text.Select(c => ((int)c).ToString("X4", CultureInfo.InvariantCulture)));

static string FromHex(string line) =>
    new(line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(unit => (char)int.Parse(unit, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray());
