using Npgsql;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

public sealed class PostgresConnectionPolicyTests
{
    [Theory]
    [InlineData("Host=db.example.net;Database=secretops;Username=app")]
    [InlineData("Host=10.0.0.5;Port=5432;Database=secretops")]
    [InlineData("Host=127.0.0.1,db.example.net;Database=secretops")]
    public void RemoteHost_GetsVerifyFull(string connectionString)
    {
        Assert.Equal(SslMode.VerifyFull, new NpgsqlConnectionStringBuilder(PostgresConnectionPolicy.Apply(connectionString)).SslMode);
    }

    [Theory]
    [InlineData("Host=db.example.net;SSL Mode=Require")]
    [InlineData("Host=db.example.net;sslmode=Disable")]
    [InlineData("Host=db.example.net;SslMode=VerifyCA")]
    public void SslModeWrittenInTheConnectionString_IsKept(string connectionString)
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
    public void LoopbackAndUnixSockets_AreLeftAlone(string connectionString)
    {
        Assert.Equal(connectionString, PostgresConnectionPolicy.Apply(connectionString));
    }
}
