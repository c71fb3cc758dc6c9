@{
    RootModule           = 'SecretOps.psm1'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '4f0c3a5e-8d2b-4c47-9a51-3e2f7b6d1c90'
    Author               = 'SecretOps contributors'
    Copyright            = '(c) SecretOps contributors'
    Description          = 'Team secret management: an encrypted SQLite store with per-client keys, grants, revocation and an audit log, usable as a SecretManagement vault.'
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('SecretOps.Format.ps1xml')
    NestedModules        = @('SecretOps.Extension')
    # Exactly the compiled cmdlets of SecretOps.Module.dll (tests/SecretOps.Module.Tests checks it).
    CmdletsToExport      = @(
        # store
        'New-SecretOpsStore'
        'Connect-SecretOpsStore'
        'Disconnect-SecretOpsStore'
        'Get-SecretOpsStore'
        'Test-SecretOpsStore'
        'Backup-SecretOpsStore'
        'Update-SecretOpsStore'
        'Restore-SecretOpsStore'
        # secrets
        'Set-SecretValue'
        'Get-SecretValue'
        'Remove-SecretValue'
        'Get-SecretEntry'
        'Get-SecretVersion'
        'Restore-SecretVersion'
        # namespaces
        'New-SecretNamespace'
        'Get-SecretNamespace'
        'Set-SecretNamespace'
        'Remove-SecretNamespace'
        'Update-SecretNamespaceKey'
        # clients
        'New-SecretClient'
        'Get-SecretClient'
        'Set-SecretClient'
        'Disable-SecretClient'
        'Enable-SecretClient'
        'Remove-SecretClient'
        'Update-SecretClientKey'
        # permissions
        'Grant-SecretPermission'
        'Revoke-SecretPermission'
        'Get-SecretPermission'
        # audit
        'Get-SecretAuditLog'
        'Test-SecretAuditLog'
        # policy
        'Export-SecretOpsPolicy'
        'Import-SecretOpsPolicy'
        # vault
        'Register-SecretOpsVault'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Secrets', 'SecretManagement', 'Vault', 'Encryption', 'Linux', 'Windows', 'macOS')
        }
    }
}
