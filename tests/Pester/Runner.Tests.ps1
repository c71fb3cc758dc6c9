#Requires -Version 7.4
# The suite's own runner (Invoke-PesterSuite.ps1): what it does when Pester or SecretManagement is missing,
# inside CI and out, and the closing line it prints. Each case runs a copy of the runner in a scratch
# repository layout with a sample test file, in a fresh pwsh. See Common.ps1 for the shared setup.

BeforeAll {
    . $PSScriptRoot/Common.ps1

    # A scratch checkout: tests/Pester/ with the runner and one sample file, out/SecretOps/ the built module,
    # out/test-modules/ holding Pester only when asked; no ../shared beside it.
    function script:New-ScratchRepository([switch] $WithPester, [string] $SampleTests) {
        $repository = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $tests = New-Item -ItemType Directory -Path (Join-Path $repository 'tests' 'Pester')
        Copy-Item (Join-Path $PSScriptRoot 'Invoke-PesterSuite.ps1') $tests
        Set-Content -Path (Join-Path $tests 'Sample.Tests.ps1') -Value $SampleTests
        $out = New-Item -ItemType Directory -Path (Join-Path $repository 'out')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $out 'SecretOps') -Target $script:ModuleFolder
        if ($WithPester) {
            $pester = Get-Module Pester
            $null = New-Item -ItemType Directory -Path (Join-Path $out 'test-modules' 'Pester')
            $null = New-Item -ItemType SymbolicLink -Path (Join-Path $out 'test-modules' 'Pester' $pester.Version) -Target $pester.ModuleBase
        }
        $repository
    }

    # Runs the scratch runner in a fresh pwsh whose PSModulePath holds only PowerShell's own modules.
    # $HostedVariable sets SECRETOPS_TEST_HOSTED=1 for it.
    function script:Invoke-ScratchRunner([string] $Repository, [bool] $InCI, [bool] $HostedVariable = $false) {
        $saved = @{ PSModulePath = $env:PSModulePath; CI = $env:CI; Hosted = $env:SECRETOPS_TEST_HOSTED }
        $env:PSModulePath = Join-Path $PSHOME 'Modules'
        $env:CI = $InCI ? 'true' : $null
        $env:SECRETOPS_TEST_HOSTED = $HostedVariable ? '1' : $null
        try {
            $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File (Join-Path $Repository 'tests' 'Pester' 'Invoke-PesterSuite.ps1') *>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($output | Out-String); Lines = @($output | ForEach-Object { "$_" } | Where-Object { $_.Trim() }) }
        }
        finally {
            $env:PSModulePath = $saved.PSModulePath
            $env:CI = $saved.CI
            $env:SECRETOPS_TEST_HOSTED = $saved.Hosted
        }
    }

    $script:NeedsSecretManagement = @'
BeforeDiscovery { $script:Missing = -not (Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement) }
Describe 'sample' {
    It 'runs without SecretManagement' { 1 | Should -Be 1 }
    It 'needs SecretManagement' -Skip:$script:Missing { 1 | Should -Be 1 }
}
'@
}
AfterAll { Restore-TestEnvironment }

Describe 'Invoke-PesterSuite.ps1' {
    It 'fails when Pester is missing' {
        $repository = New-ScratchRepository -SampleTests $script:NeedsSecretManagement
        $run = Invoke-ScratchRunner $repository -InCI $false
        $run.ExitCode | Should -Not -Be 0
        $run.Text | Should -Match 'Pester 5 was not found'
    }

    It 'fails under CI=true when SecretManagement is missing, naming what to do' {
        $repository = New-ScratchRepository -WithPester -SampleTests $script:NeedsSecretManagement
        $run = Invoke-ScratchRunner $repository -InCI $true
        $run.ExitCode | Should -Not -Be 0
        $run.Text | Should -Match 'CI=true: Microsoft.PowerShell.SecretManagement is not installed'
        $run.Text | Should -Not -Match 'Pester: \d+ passed'
    }

    It 'outside CI, skips what needs SecretManagement with one message and ends with the counts' {
        $repository = New-ScratchRepository -WithPester -SampleTests $script:NeedsSecretManagement
        $run = Invoke-ScratchRunner $repository -InCI $false
        $run.ExitCode | Should -Be 0 -Because $run.Text
        @($run.Lines | Where-Object { $_ -match 'Install-PSResource Microsoft.PowerShell.SecretManagement' }).Count | Should -Be 1
        $run.Lines[-1] | Should -Be 'Pester: 1 passed, 0 failed, 1 skipped'
    }

    It 'hosted (SECRETOPS_TEST_HOSTED=1, as the README''s command gives it; -Hosted sets it): runs only the tests tagged Hosted, with the variable set, and says so' {
        $sample = "Describe 'sample' { It 'hosted' -Tag Hosted { `$env:SECRETOPS_TEST_HOSTED | Should -Be '1' }; It 'file only' { 1 | Should -Be 2 } }"
        $repository = New-ScratchRepository -WithPester -SampleTests $sample
        $run = Invoke-ScratchRunner $repository -InCI $false -HostedVariable $true
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $run.Lines[-1] | Should -Be 'Pester (hosted): 1 passed, 0 failed, 0 skipped, 1 not run'
    }

    It 'exits non-zero and counts a failing test' {
        $repository = New-ScratchRepository -WithPester -SampleTests "Describe 'sample' { It 'passes' { 1 | Should -Be 1 }; It 'fails' { 1 | Should -Be 2 } }"
        $run = Invoke-ScratchRunner $repository -InCI $false
        $run.ExitCode | Should -Be 1
        $run.Lines[-1] | Should -Be 'Pester: 1 passed, 1 failed, 0 skipped'
    }
}
