#Requires -Version 7.4
# The vault extension functions, called as SecretManagement calls them (no SecretManagement needed). See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'SecretManagement vault extension (called as SecretManagement calls it)' -Tag Hosted {
    # SecretManagement runs SecretOps.Extension\<function> in the parent module's scope with splatted parameters;
    # this does the same, so it needs no SecretManagement.
    BeforeAll {
        $script:ExtensionStore = New-TestStore
        $script:ExtensionParameters = @{ Path = $script:ExtensionStore; Client = 'system'; Namespace = 'default'; Prompt = $true; Verbose = $false }
        # In a hosted run the store is a server's: the vault signs with the System client's token.
        if ($script:Hosted) { $script:ExtensionParameters.TokenFile = Get-TestTokenFile $script:ExtensionStore 'system' }
        function script:Invoke-VaultFunction {
            [CmdletBinding()]
            param([string] $Command, [hashtable] $Parameters)
            & (Get-Module SecretOps) "SecretOps.Extension\$Command" @Parameters
        }
    }
    AfterAll { Disconnect-SecretOpsStore -All }

    It 'exports every vault function from the nested module and none from SecretOps' {
        $extension = (Get-Module SecretOps).NestedModules | Where-Object Name -EQ 'SecretOps.Extension'
        $extension | Should -Not -BeNullOrEmpty
        @($extension.ExportedFunctions.Keys | Sort-Object) | Should -Be @('Get-Secret', 'Get-SecretInfo', 'Remove-Secret', 'Set-Secret', 'Set-SecretInfo', 'Test-SecretVault', 'Unlock-SecretVault', 'Unregister-SecretVault')
        (Get-Module SecretOps).ExportedFunctions.Count | Should -Be 0
        (Get-Module SecretOps).ExportedCommands.Keys | Should -Not -Contain 'Get-Secret'
    }

    It 'imports on its own, as SecretManagement does when it validates a registration (in a throwaway runspace)' {
        $folder = [IO.Path]::Combine($script:ModuleFolder, 'SecretOps.Extension')
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                param($Folder, $Parameters)
                $module = Import-Module -Name $Folder -Force -PassThru -ErrorAction Stop
                [pscustomobject]@{
                    Name      = $module.Name
                    Functions = @($module.ExportedFunctions.Keys | Sort-Object)
                    Test      = @(& $module { param($p) Test-SecretVault @p -ErrorAction SilentlyContinue } $Parameters)
                }
            }).AddArgument($folder).AddArgument(@{ VaultName = 'alone'; AdditionalParameters = $script:ExtensionParameters })
            $result = $shell.Invoke()
            $result.Count | Should -Be 1
            $result[0].Name | Should -Be 'SecretOps.Extension'
            $result[0].Functions | Should -Contain 'Get-Secret'
            $result[0].Test.Count | Should -Be 1
            $result[0].Test[0] | Should -BeOfType [bool]
        }
        finally {
            $shell.Dispose()
        }
    }

    It 'reports a locked vault, then works once unlocked' {
        $test = Invoke-VaultFunction Test-SecretVault @{ VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } -ErrorVariable problems -ErrorAction SilentlyContinue
        @($test).Count | Should -Be 1
        $test | Should -BeFalse
        $problems[0].FullyQualifiedErrorId | Should -Match '^SecretOps.VaultLocked'

        { Invoke-VaultFunction Get-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } } | Should -Throw -ExpectedMessage '*Unlock-SecretVault*'

        Invoke-VaultFunction Unlock-SecretVault @{ Password = $script:Passphrase; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        Invoke-VaultFunction Test-SecretVault @{ VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } | Should -BeTrue
    }

    It 'sets, gets, lists and removes, writing errors instead of throwing' {
        Invoke-VaultFunction Unlock-SecretVault @{ Password = $script:Passphrase; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        Invoke-VaultFunction Set-Secret @{ Name = 'db'; Secret = 'v1'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{ owner = 'ops' } }
        Invoke-VaultFunction Get-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } | Should -Be 'v1'
        Invoke-VaultFunction Get-Secret @{ Name = 'missing'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } -ErrorVariable none | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty

        $bytes = Invoke-VaultFunction Get-Secret @{ Name = 'bytes'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        $bytes | Should -BeNullOrEmpty
        Invoke-VaultFunction Set-Secret @{ Name = 'bytes'; Secret = [byte[]](1, 2, 3); VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{} }
        $bytes = Invoke-VaultFunction Get-Secret @{ Name = 'bytes'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        , $bytes | Should -BeOfType [byte[]]
        $bytes | Should -Be @(1, 2, 3)

        Invoke-VaultFunction Set-Secret @{ Name = 'bad'; Secret = $true; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{} } -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -Match '^SecretOps.InvalidParameter'

        Invoke-VaultFunction Set-Secret @{ Name = 'meta'; Secret = 'x'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{ flag = $true } } -ErrorVariable metadataRefused -ErrorAction SilentlyContinue
        $metadataRefused[0].Exception.Message | Should -Match 'refused'

        Invoke-VaultFunction Remove-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        Invoke-VaultFunction Get-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } | Should -BeNullOrEmpty
        Invoke-VaultFunction Remove-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } -ErrorVariable notFound -ErrorAction SilentlyContinue
        $notFound[0].FullyQualifiedErrorId | Should -Match '^SecretOps.NotFound'
    }

    It 'refuses VaultParameters that hold a secret, saying why' {
        $parameters = @{ Path = $script:ExtensionStore; Passphrase = 'hunter2'; Verbose = $false }
        $test = Invoke-VaultFunction Test-SecretVault @{ VaultName = 'V'; AdditionalParameters = $parameters } -ErrorVariable problems -ErrorAction SilentlyContinue
        $test | Should -BeFalse
        $problems[0].Exception.Message | Should -Match 'plain JSON'
        $problems[0].Exception.Message | Should -Not -Match 'hunter2'
    }
}

Describe 'Register-SecretOpsVault without SecretManagement' {
    It 'fails clearly, saying how to install it' {
        # A fresh pwsh whose PSModulePath holds only PowerShell's own modules: SecretManagement cannot load there.
        $store = New-TestStore
        $script = {
            param($Manifest, $Store)
            Import-Module $Manifest -ErrorAction Stop
            try {
                Register-SecretOpsVault -Name 'SecretOpsPesterNoSM' -Path $Store -Prompt -ErrorAction Stop
                'registered'
            }
            catch {
                $_.FullyQualifiedErrorId
                $_.Exception.Message
            }
        }
        $command = "& { $script } -Manifest '$(Join-Path $script:ModuleFolder 'SecretOps.psd1')' -Store '$store'"
        $env:PSModulePath, $saved = (Join-Path $PSHOME 'Modules'), $env:PSModulePath
        try {
            $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $command
        }
        finally {
            $env:PSModulePath = $saved
        }
        $output[0] | Should -Match '^SecretOps.SecretManagementMissing'
        $output[1] | Should -Match 'Install-PSResource Microsoft.PowerShell.SecretManagement'
    }
}
