namespace SecretOps.Server.Tests;

/// <summary>
/// Tools the tests need from the machine (PostgreSQL's server binaries, openssl): on a developer's machine a missing
/// one skips the test with the reason; in CI (CI=true, set by .ci/run) it fails the test, so CI cannot pass by skipping.
/// </summary>
internal static class ExternalRequirement
{
    public static void Require(string? unavailableReason)
    {
        if (unavailableReason is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"Required in CI: {unavailableReason}");
        }

        Assert.Skip(unavailableReason);
    }
}
