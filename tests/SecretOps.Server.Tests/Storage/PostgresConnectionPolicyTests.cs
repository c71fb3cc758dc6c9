using Npgsql;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

public sealed class PostgresConnectionPolicyTests
{
    [Theory]
    [InlineData("Host=db.example.net;Database=secretops;Username=app")]
    [InlineData("Host=10.0.0.5;Port=5432;Database=secretops")]
    [InlineData("Host=127.0.0.1,db.example.net;Database=secretops")]
    public void A_remote_host_gets_verify_full(string connectionString)
    {
        Assert.Equal(SslMode.VerifyFull, new NpgsqlConnectionStringBuilder(PostgresConnectionPolicy.Apply(connectionString)).SslMode);
    }

    [Theory]
    [InlineData("Host=db.example.net;SSL Mode=Require")]
    [InlineData("Host=db.example.net;sslmode=Disable")]
    [InlineData("Host=db.example.net;SslMode=VerifyCA")]
    public void An_ssl_mode_written_in_the_connection_string_is_kept(string connectionString)
    {
        Assert.Equal(connectionString, PostgresConnectionPolicy.Apply(connectionString));
    }

    [Theory]
    [InlineData("Host=localhost;Database=secretops")]
    [InlineData("Host=127.0.0.1;Database=secretops")]
    [InlineData("Host=127.0.0.2:5433;Database=secretops")]
    [InlineData("Host=::1;Database=secretops")]
    [InlineData("Host=[::1]:5432;Database=secretops")]
    [InlineData("Host=/var/run/postgresql;Database=secretops")]
    public void Loopback_and_unix_sockets_are_left_alone(string connectionString)
    {
        Assert.Equal(connectionString, PostgresConnectionPolicy.Apply(connectionString));
    }
}
