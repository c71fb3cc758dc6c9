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

Describe 'Help examples' {
    BeforeAll {
        # Every example a user can read: each cmdlet's compiled help, and the about topic's source.
        function script:Get-HelpExample {
            foreach ($name in $script:Manifest.CmdletsToExport) {
                $number = 0
                foreach ($example in (Get-Help $name -Examples).examples.example) {
                    $number++
                    [pscustomobject]@{ Source = "$name example $number"; Code = ($example.code -join "`n") }
                }
            }
            $about = Get-Content -Raw ([IO.Path]::Combine($PSScriptRoot, '..', '..', 'docs', 'about_SecretOps.md'))
            foreach ($block in [regex]::Matches($about, '(?ms)^```powershell\r?\n(.*?)^```')) {
                [pscustomobject]@{ Source = 'about_SecretOps'; Code = $block.Groups[1].Value }
            }
        }
    }

    It 'every example parses, and every SecretOps command in it binds, durations included' {
        $examples = @(Get-HelpExample)
        $examples.Count | Should -BeGreaterThan $script:Manifest.CmdletsToExport.Count
        $problems = foreach ($example in $examples) {
            $errors = $null
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($example.Code, [ref] $null, [ref] $errors)
            if ($errors) { "$($example.Source): $($errors[0].Message)"; continue }
            foreach ($command in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)) {
                $cmdlet = Get-Command $command.GetCommandName() -Module SecretOps -ErrorAction SilentlyContinue
                if (-not $cmdlet) { continue }
                $binding = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand($command, $true)
                foreach ($failure in $binding.BindingExceptions.Values) {
                    "$($example.Source): $($command.Extent.Text): $($failure.BindingException.Message)"
                }
                foreach ($bound in $binding.BoundParameters.GetEnumerator()) {
                    $transforms = $cmdlet.Parameters[$bound.Key].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }
                    if ($null -eq $bound.Value.ConstantValue) { continue }
                    foreach ($transform in $transforms) {
                        try { $null = $transform.Transform($ExecutionContext, $bound.Value.ConstantValue) }
                        catch { "$($example.Source): -$($bound.Key) $($bound.Value.Value.Extent.Text): $($_.Exception.InnerException.Message ?? $_.Exception.Message)" }
                    }
                }
            }
        }
        $problems | Should -BeNullOrEmpty
    }
}
