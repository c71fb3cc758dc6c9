@{
    ModuleVersion     = '0.1.0'
    RootModule        = 'SecretOps.Extension.psm1'
    GUID              = '9b7e2d14-6c3a-4f58-8e0d-2a5c1f4b7e63'
    Author            = 'SecretOps contributors'
    Description       = 'SecretManagement vault extension for SecretOps.'
    PowerShellVersion = '7.4'
    FunctionsToExport = @()
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
