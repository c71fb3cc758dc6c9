namespace SecretOps.Server.Configuration;

/// <summary>The PEM certificate (chain) file and its private key file, as full paths.</summary>
public sealed record TlsFiles(string CertificatePath, string KeyPath);
