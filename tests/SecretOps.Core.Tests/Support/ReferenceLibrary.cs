namespace SecretOps.Core.Tests.Support;

/// <summary>
/// Reference libraries (libargon2, openssl) are optional on a developer's machine: tests skip with the
/// reason. CI sets SECRETOPS_REQUIRE_REFERENCE_LIBS=1, and there a missing library fails the test.
/// </summary>
internal static class ReferenceLibrary
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
