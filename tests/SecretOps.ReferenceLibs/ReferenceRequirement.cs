using Xunit;

namespace SecretOps.ReferenceLibs;

/// <summary>
/// Reference libraries and tools (libargon2, libsodium, openssl) are optional on a developer's machine: tests
/// skip with the reason. CI sets SECRETOPS_REQUIRE_REFERENCE_LIBS=1, and there a missing one fails the test.
/// </summary>
public static class ReferenceRequirement
{
    public static void Require(string? unavailableReason)
    {
        if (unavailableReason is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("SECRETOPS_REQUIRE_REFERENCE_LIBS") == "1")
        {
            Assert.Fail($"Required in CI: {unavailableReason}");
        }

        Assert.Skip(unavailableReason);
    }
}
