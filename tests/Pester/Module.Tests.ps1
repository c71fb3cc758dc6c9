#Requires -Version 7.4
# The module: exported cmdlets, parameter help, load context, format views. See Common.ps1 for the setup every file shares.

BeforeDiscovery {
    $moduleFolder = if ($env:SECRETOPS_MODULE) { $env:SECRETOPS_MODULE } else { [IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'SecretOps') }
    $script:CmdletNames = @((Import-PowerShellDataFile ([IO.Path]::Combine($moduleFolder, 'SecretOps.psd1'))).CmdletsToExport)
}

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'The module' {
    It 'exports exactly the cmdlets its manifest lists' {
        $exported = (Get-Module SecretOps).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be (@($script:Manifest.CmdletsToExport) | Sort-Object)
        foreach ($name in $script:Manifest.CmdletsToExport) {
            Get-Command $name -CommandType Cmdlet -ErrorAction Stop | Should -Not -BeNullOrEmpty
        }
    }

    It '<_> declares an output type and help for every parameter' -ForEach $script:CmdletNames {
        $command = Get-Command $_
        $command.OutputType | Should -Not -BeNullOrEmpty
        $common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)
        foreach ($parameter in $command.Parameters.Values | Where-Object Name -notin $common) {
            foreach ($set in $parameter.ParameterSets.Values) {
                $set.HelpMessage | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) of $_ needs a help message"
            }
        }
    }

    It 'loads its engine and SQLite into the SecretOps load context, not the default one' {
        $null = New-TestStore   # makes sure the engine and SQLite have been loaded
        $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'SecretOps'
        $context | Should -Not -BeNullOrEmpty
        $context.Assemblies.GetName().Name | Should -Contain 'SecretOps.Core'
        $context.Assemblies.GetName().Name | Should -Contain 'SecretOps.Module'
        $context.Assemblies.GetName().Name | Should -Contain 'Microsoft.Data.Sqlite'
        $default = [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name
        $default | Should -Not -Contain 'SecretOps.Core'
        $default | Should -Not -Contain 'SecretOps.Module'
        $default | Should -Contain 'SecretOps' -Because 'the shared assembly with the public types lives in the default context'
    }

    It 'has a format view for each of its output types' {
        foreach ($type in 'SecretOps.SecretEntry', 'SecretOps.SecretVersionInfo', 'SecretOps.NamespaceInfo', 'SecretOps.AuditEntry',
                          'SecretOps.AuditVerification', 'SecretOps.StoreInfo', 'SecretOps.StoreCheckResult', 'SecretOps.StoreCreated',
                          'SecretOps.Module.SessionInfo', 'SecretOps.ClientInfo', 'SecretOps.ClientCreated', 'SecretOps.PermissionInfo',
                          'SecretOps.RotationResult', 'SecretOps.Module.PolicyChangeInfo') {
            Get-FormatData -TypeName $type | Should -Not -BeNullOrEmpty -Because "$type needs a view"
        }
    }
}
