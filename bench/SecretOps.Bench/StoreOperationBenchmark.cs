using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;

namespace SecretOps.Bench;

/// <summary>
/// <c>warm-read</c> and <c>write</c>: one secret operation in a connected session against the bare work
/// underneath it in the same run. Warm read: a pooled SQLite point select of a version row plus an AES-GCM
/// decrypt. Write: an IMMEDIATE transaction inserting one row, in WAL with synchronous=FULL, like the store's.
/// </summary>
internal sealed class StoreOperationBenchmark(bool write) : IBenchmark
{
    private const int Secrets = 1000;
    private const int OperationsPerRun = 500;
    private const string Ours = "SecretOps";
    private const string Baseline = "bare SQLite + AES-GCM";

    public string Name => write ? "write" : "warm-read";

    public string Description => write
        ? "secret set in a session vs a bare SQLite insert transaction (WAL, synchronous=FULL)"
        : "secret get in a connected session vs a bare SQLite point select + AES-GCM decrypt";

    public string Title => write ? "Write" : "Warm read";

    public int DefaultRuns => 7;

    public IReadOnlyList<(string Label, string Value)> MachineNotes() => [];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var directory = Directory.CreateTempSubdirectory("secretops-bench-ops-").FullName;
        try
        {
            var path = Path.Combine(directory, "store.db");
            var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
            using var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!);
            using var session = SecretStore.Open(path).Connect("system", credential, new SessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan });
            for (var i = 0; i < Secrets; i++)
            {
                using var value = SecretValue.FromString($"value-{i:D5}-0123456789abcdef");
                session.SetSecret("default", SecretName(i), value);
            }

            using var baseline = new BareStore(Path.Combine(directory, "baseline.db"), Secrets);
            var next = 0;
            var candidates = new List<Candidate>
            {
                new(Ours, () =>
                {
                    for (var i = 0; i < OperationsPerRun; i++)
                    {
                        var index = next++ % Secrets;
                        if (write)
                        {
                            using var value = SecretValue.FromString($"value-{index:D5}-{next}");
                            session.SetSecret("default", SecretName(index), value);
                        }
                        else
                        {
                            using var read = session.GetSecret("default", SecretName(index));
                        }
                    }

                    session.FlushAudit();
                }),
                new(Baseline, () =>
                {
                    for (var i = 0; i < OperationsPerRun; i++)
                    {
                        var index = next++ % Secrets;
                        if (write)
                        {
                            baseline.Insert(index, next);
                        }
                        else
                        {
                            baseline.Read(index);
                        }
                    }
                }),
            };
            Harness.SettleJit(candidates, rounds: 10, progress);
            var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
            var ours = samples[Ours].MedianMilliseconds / OperationsPerRun * 1000;
            var bare = samples[Baseline].MedianMilliseconds / OperationsPerRun * 1000;
            var body = new StringBuilder();
            var setup = string.Create(CultureInfo.InvariantCulture,
                $"A store of {Secrets:N0} secrets (string values, generated-secret System client, default namespace), the operation repeated {OperationsPerRun} times per run over all secrets in turn; medians of {options.Runs} runs, alternating with the baseline.");
            var what = write
                ? "SecretOps: Session.SetSecret (a new version: key lookup, AES-GCM, version row, secret row update, audit entry, one IMMEDIATE transaction with fsync). Baseline: one IMMEDIATE transaction inserting one ciphertext row, WAL, synchronous=FULL."
                : "SecretOps: Session.GetSecret (permission check, version row, cached secret key, AES-GCM, value decoding; read audit entries buffered and written once per run). Baseline: a pooled connection's point select of a nonce+ciphertext row by primary key and one AES-GCM decrypt.";
            body.AppendLine(setup + " " + what);
            body.AppendLine();
            var limit = write ? 1.5 : 2.0;
            var target = $"≤ {limit.ToString("0.##", CultureInfo.InvariantCulture)}x";
            body.Append(Harness.MarkdownTable(
                ["operation", "SecretOps (µs per op)", "baseline (µs per op)", "ratio", "target"],
                new[] { (IReadOnlyList<string>)[write ? "set" : "get", Harness.Format(ours), Harness.Format(bare), $"{Harness.FormatRatio(ours / bare)}x", target] }));
            return new BenchmarkResult(body.ToString(),
            [
                new($"{(write ? "secret set" : "warm secret get")} {target} a bare SQLite {(write ? "insert transaction" : "select + AES-GCM decrypt")}",
                    $"{Harness.Format(ours)} µs vs {Harness.Format(bare)} µs", $"{Harness.FormatRatio(ours / bare)}x", ours / bare <= limit),
            ]);
        }
        finally
        {
            SecretStore.ReleaseConnections();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string SecretName(int index) => $"service-{index:D5}/password";

    /// <summary>The bare work under a store operation: one table, WAL, synchronous=FULL, AES-256-GCM.</summary>
    private sealed class BareStore : IDisposable
    {
        private readonly string connectionString;
        private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

        public BareStore(string path, int rows)
        {
            connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
            using var connection = Open();
            Execute(connection, "PRAGMA journal_mode = WAL; CREATE TABLE v (id INTEGER PRIMARY KEY, nonce BLOB NOT NULL, ciphertext BLOB NOT NULL);");
            using var transaction = connection.BeginTransaction();
            for (var i = 0; i < rows; i++)
            {
                Insert(connection, transaction, i, 0);
            }

            transaction.Commit();
        }

        public void Read(int id)
        {
            // A read needs no durability setting: the pooled connection as it comes.
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT nonce, ciphertext FROM v WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            reader.Read();
            var nonce = (byte[])reader[0];
            var ciphertext = (byte[])reader[1];
            var plaintext = new byte[ciphertext.Length - 16];
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(nonce, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), plaintext);
        }

        public void Insert(int id, int generation)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            Insert(connection, transaction, id + (generation + 1) * 1_000_000, generation);
            transaction.Commit();
        }

        public void Dispose() => CryptographicOperations.ZeroMemory(key);

        private void Insert(SqliteConnection connection, SqliteTransaction transaction, int id, int generation)
        {
            var nonce = RandomNumberGenerator.GetBytes(12);
            var plaintext = Encoding.UTF8.GetBytes($"value-{id:D5}-{generation}".PadRight(32, '.'));
            var ciphertext = new byte[plaintext.Length + 16];
            using (var aes = new AesGcm(key, 16))
            {
                aes.Encrypt(nonce, plaintext, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length));
            }

            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR REPLACE INTO v VALUES ($id, $nonce, $ciphertext)";
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$nonce", nonce);
            command.Parameters.AddWithValue("$ciphertext", ciphertext);
            command.ExecuteNonQuery();
        }

        /// <summary>A pooled connection with the store's durability for writes (synchronous=FULL).</summary>
        private SqliteConnection Open()
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            Execute(connection, "PRAGMA synchronous = FULL;");
            return connection;
        }

        private static void Execute(SqliteConnection connection, string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }
}
