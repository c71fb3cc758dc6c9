@{
    ModuleVersion     = '0.1.0'
    RootModule        = 'SecretOps.Extension.psm1'
    GUID              = '9b7e2d14-6c3a-4f58-8e0d-2a5c1f4b7e63'
    Author            = 'SecretOps contributors'
    Description       = 'SecretManagement vault extension for SecretOps.'
    PowerShellVersion = '7.4'
    # The vault functions SecretManagement calls as SecretOps.Extension\<name>. The parent manifest exports none of them.
    FunctionsToExport = @(
        'Get-Secret'
        'Set-Secret'
        'Remove-Secret'
        'Get-SecretInfo'
        'Test-SecretVault'
        'Set-SecretInfo'
        'Unlock-SecretVault'
        'Unregister-SecretVault'
    )
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
