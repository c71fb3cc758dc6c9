#Requires -Version 7.4
# One name is one secret on every surface: the module (here, in pwsh, with ICU) and the CLI (a child process, invariant
# globalization) upper-case names by Core's one rule (docs/FORMAT.md §6.3), so names with ſ (U+017F) or ƛ (U+019B), which
# ICU and the CLI's runtime upper-case differently, mean the same secret on both. tests/SecretOps.Cli.Tests/
# CrossSurfaceNameTests.cs does the same with a program on the API. See Common.ps1 for the setup every file shares.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:CliAssembly = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'cli', 'SecretOps.Cli.dll'))
    if (-not (Test-Path $script:CliAssembly)) {
        throw "No built CLI at '$script:CliAssembly': run 'dotnet build SecretOps.sln -c Release' (or the README's test command) first."
    }

    function script:Get-OrdinalSorted([string[]] $Names) {
        [Array]::Sort($Names, [StringComparer]::Ordinal)
        $Names
    }

    # Runs `secretops --store $script:Store <arguments>` as the System client and returns what it printed; fails on an error.
    function script:Invoke-Cli([string[]] $Arguments) {
        $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
        # In a hosted run the store is a server's, and the CLI signs with the System client's token (XDG_STATE_HOME, where
        # its replica is, comes with this process's environment).
        $hostedArguments = $script:Hosted ? @('--token-file', (Get-TestTokenFile $script:Store 'system')) : @()
        foreach ($argument in @('exec', $script:CliAssembly, '--store', $script:Store) + $hostedArguments + $Arguments) { $start.ArgumentList.Add($argument) }
        $start.Environment['SECRETOPS_PASSPHRASE'] = $script:PassphraseText
        $start.UseShellExecute = $false
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.StandardOutputEncoding = [Text.UTF8Encoding]::new($false)
        $process = [Diagnostics.Process]::Start($start)
        try {
            $process.StandardInput.Close()
            $output = $process.StandardOutput.ReadToEndAsync()
            $errorText = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "secretops $Arguments did not finish in 2 minutes." }
            if ($process.ExitCode -ne 0) { throw "secretops $Arguments exited $($process.ExitCode): $($errorText.Result)" }
            $output.Result
        }
        finally {
            $process.Dispose()
        }
    }
}
AfterAll { Restore-TestEnvironment }

Describe 'Secret names across the CLI and the module' -Tag Hosted {
    BeforeEach {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'a secret the CLI creates as <Name> is the one the module reads, changes and lists as <OtherCase>' -TestCases @(
        @{ Name = "`u{17F}ecret-key"; OtherCase = "`u{17F}ECRET-KEY" }
        @{ Name = "`u{19B}ambda"; OtherCase = "`u{19B}AMBDA" }
    ) {
        $null = Invoke-Cli 'secret', 'set', $Name, '--value', 'from the cli'
        Get-SecretValue -Name $OtherCase -AsPlainText | Should -BeExactly 'from the cli'
        Set-SecretValue -Name $OtherCase -Value 'from the module'
        (Get-SecretEntry -Name $Name).Version | Should -Be 2
        @(Get-SecretEntry).Name | Should -BeExactly @($Name)
        Invoke-Cli 'secret', 'get', $Name | Should -BeExactly 'from the module'
    }

    It 'a secret the module creates as <Name> is the one the CLI reads, changes and lists as <OtherCase>' -TestCases @(
        @{ Name = "`u{17F}ecret-key"; OtherCase = "`u{17F}ECRET-KEY" }
        @{ Name = "`u{19B}ambda"; OtherCase = "`u{19B}AMBDA" }
    ) {
        Set-SecretValue -Name $Name -Value 'from the module'
        Invoke-Cli 'secret', 'get', $OtherCase | Should -BeExactly 'from the module'
        $null = Invoke-Cli 'secret', 'set', $OtherCase, '--value', 'from the cli'
        @((Invoke-Cli 'secret', 'list', '--output', 'json' | ConvertFrom-Json).name) | Should -BeExactly @($Name)
        Get-SecretValue -Name $Name -AsPlainText | Should -BeExactly 'from the cli'
        (Get-SecretEntry -Name $OtherCase).Version | Should -Be 2
    }

    It 'keeps ſecret and SECRET, and ƛx and its Unicode 16 uppercase, two secrets each on both surfaces' {
        $null = Invoke-Cli 'secret', 'set', "`u{17F}ecret", '--value', 'long s'
        Set-SecretValue -Name SECRET -Value 'capital s'
        Set-SecretValue -Name "`u{17F}ECRET" -Value 'long s again'
        $null = Invoke-Cli 'secret', 'set', "`u{19B}x", '--value', 'lambda'
        Set-SecretValue -Name "`u{A7DC}x" -Value 'capital lambda'

        (Get-SecretEntry -Name SECRET).Version | Should -Be 1
        (Get-SecretEntry -Name "`u{17F}ecret").Version | Should -Be 2
        Invoke-Cli 'secret', 'get', 'secret' | Should -BeExactly 'capital s'
        Invoke-Cli 'secret', 'get', "`u{17F}ecret" | Should -BeExactly 'long s again'
        Invoke-Cli 'secret', 'get', "`u{19B}X" | Should -BeExactly 'lambda'
        Get-SecretValue -Name "`u{A7DC}X" -AsPlainText | Should -BeExactly 'capital lambda'
        $all = Get-OrdinalSorted @('SECRET', "`u{17F}ecret", "`u{19B}x", "`u{A7DC}x")
        Get-OrdinalSorted (Invoke-Cli 'secret', 'list', '--output', 'json' | ConvertFrom-Json).name | Should -BeExactly $all
        Get-OrdinalSorted (Get-SecretEntry).Name | Should -BeExactly $all
    }
}
