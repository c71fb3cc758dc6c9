#Requires -Version 7.4
# Secret cmdlets: Set-, Get-, Remove-SecretValue, Get-SecretEntry, Get-SecretVersion, Restore-SecretVersion. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Secrets' -Tag Hosted {
    BeforeEach {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'round-trips text: a SecureString by default, a string with -AsPlainText' {
        Set-SecretValue -Name api-key -Value 'text value'
        $secure = Get-SecretValue -Name api-key
        $secure | Should -BeOfType [securestring]
        Get-PlainText $secure | Should -Be 'text value'
        Get-SecretValue -Name api-key -AsPlainText | Should -BeExactly 'text value'
    }

    It 'round-trips a SecureString, a PSCredential and a byte[] (as one object)' {
        Set-SecretValue -Name secure -Value (ConvertTo-SecureString 'pa55' -AsPlainText -Force)
        Get-SecretValue secure -AsPlainText | Should -Be 'pa55'
        (Get-SecretEntry secure).Type | Should -Be 'SecureString'

        $credential = [pscredential]::new('svc-user', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
        Set-SecretValue -Name credential -Value $credential
        $read = Get-SecretValue credential
        $read | Should -BeOfType [pscredential]
        $read.UserName | Should -Be 'svc-user'
        $read.GetNetworkCredential().Password | Should -Be 'pw'

        Set-SecretValue -Name blob -Value ([byte[]](0, 1, 2, 255))
        $bytes = Get-SecretValue blob
        , $bytes | Should -BeOfType [byte[]]
        $bytes.Length | Should -Be 4
        (Get-SecretValue blob | Measure-Object).Count | Should -Be 1
    }

    It 'round-trips a Hashtable, text inside it secure unless -AsPlainText' {
        $credential = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
        Set-SecretValue -Name table -Value @{ text = 't'; secure = (ConvertTo-SecureString 's' -AsPlainText -Force); bytes = [byte[]](7); cred = $credential }
        $table = Get-SecretValue table
        $table | Should -BeOfType [hashtable]
        $table.text | Should -BeOfType [securestring]
        $table.cred.UserName | Should -Be 'u'
        , $table.bytes | Should -BeOfType [byte[]]
        $plain = Get-SecretValue table -AsPlainText
        $plain.text | Should -Be 't'
        $plain.secure | Should -Be 's'
        $plain.TEXT | Should -Be 't' -Because 'the table is case-insensitive like @{}'
    }

    It 'refuses values it cannot store with SecretOps.InvalidParameter, naming the input' {
        foreach ($bad in @(42, @{ nested = @{ a = 'b' } }, @{ number = 1 })) {
            $err = Get-FirstError { Set-SecretValue -Name bad -Value $bad }
            $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
            $err.TargetObject | Should -Be 'bad'
        }
        (Get-FirstError { Get-SecretValue bad }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'refuses bad names with SecretOps.InvalidParameter and leaves the store unchanged' {
        $before = (Get-SecretOpsStore).Secrets
        (Get-FirstError { Set-SecretValue -Name " padded " -Value 'v' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-FirstError { Set-SecretValue -Name "a`tb" -Value 'v' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-FirstError { Set-SecretValue -Name ('x' * 300) -Value 'v' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-SecretOpsStore).Secrets | Should -Be $before
    }

    It 'reports a missing secret as SecretOps.NotFound with the name as target and category ObjectNotFound' {
        $err = Get-FirstError { Get-SecretValue -Name missing }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        $err.FullyQualifiedErrorId | Should -BeLike '*,SecretOps.Module.Commands.GetSecretValueCommand'
        $err.TargetObject | Should -Be 'missing'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes one error per failed input and goes on with the rest' {
        Set-SecretValue -Name one -Value '1'
        Set-SecretValue -Name two -Value '2'
        $values = 'one', 'missing', 'two' | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
            Get-SecretValue -AsPlainText -ErrorAction SilentlyContinue -ErrorVariable errors
        $values | Should -Be @('1', '2')
        $errors.Count | Should -Be 1
        $errors[0].TargetObject | Should -Be 'missing'
    }

    It 'keeps versions: history, reading an old one, restoring it as a new version' {
        Set-SecretValue -Name db -Value 'v1'
        Set-SecretValue -Name db -Value 'v2'
        $history = Get-SecretVersion -Name db
        $history.Version | Should -Be @(1, 2)
        ($history | Where-Object IsCurrent).Version | Should -Be 2
        $history[0].PSObject.TypeNames[0] | Should -Be 'SecretOps.SecretVersionInfo'
        Get-SecretValue db -Version 1 -AsPlainText | Should -Be 'v1'

        $entry = Restore-SecretVersion -Name db -Version 1 -PassThru
        $entry.Version | Should -Be 3
        Get-SecretValue db -AsPlainText | Should -Be 'v1'

        Get-SecretVersion db | Where-Object Version -eq 2 | Restore-SecretVersion
        Get-SecretValue db -AsPlainText | Should -Be 'v2'
        (Get-SecretEntry db).Version | Should -Be 4
    }

    It 'restores nothing with -WhatIf, and an unknown version is SecretOps.NotFound' {
        Set-SecretValue -Name db -Value 'v1'
        Set-SecretValue -Name db -Value 'v2'
        Restore-SecretVersion -Name db -Version 1 -WhatIf
        (Get-SecretEntry db).Version | Should -Be 2
        (Get-FirstError { Restore-SecretVersion -Name db -Version 9 }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'is a compare-and-swap with -ExpectedVersion (SecretOps.Conflict otherwise)' {
        Set-SecretValue -Name cas -Value 'a' -ExpectedVersion 0
        $err = Get-FirstError { Set-SecretValue -Name cas -Value 'b' -ExpectedVersion 0 }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        (Set-SecretValue -Name cas -Value 'b' -ExpectedVersion 1 -PassThru).Version | Should -Be 2
    }

    It 'expires secrets after -TimeToLive: reads say Expired, listings hide them unless -IncludeExpired' {
        Set-SecretValue -Name short -Value 'v' -TimeToLive '1s'
        Start-Sleep -Seconds 2
        (Get-FirstError { Get-SecretValue short }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Expired,*'
        Get-SecretEntry -Name 'sho*' | Should -BeNullOrEmpty
        (Get-SecretEntry -Name short -IncludeExpired).IsExpired | Should -BeTrue
        (Get-FirstError { Get-SecretEntry -Name short }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'takes -TimeToLive as a TimeSpan or text, and refuses a bare number' {
        (Set-SecretValue -Name a -Value 'v' -TimeToLive (New-TimeSpan -Days 1) -PassThru).ExpiresAt | Should -Not -BeNullOrEmpty
        (Set-SecretValue -Name b -Value 'v' -TimeToLive '1h30m' -PassThru).ExpiresAt | Should -Not -BeNullOrEmpty
        { Set-SecretValue -Name c -Value 'v' -TimeToLive 5 -ErrorAction Stop } | Should -Throw
        Get-SecretEntry -Name c -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'takes -TimeToLive typed unquoted: 90s (which PowerShell reads as a short) is seconds, 90d (a decimal) is days' {
        $before = [DateTimeOffset]::UtcNow
        $seconds = Set-SecretValue -Name s -Value 'v' -TimeToLive 90s -PassThru
        ($seconds.ExpiresAt - $before).TotalSeconds | Should -BeGreaterOrEqual 89
        ($seconds.ExpiresAt - $before).TotalSeconds | Should -BeLessThan 120
        $days = Set-SecretValue -Name d -Value 'v' -TimeToLive 90d -PassThru
        [math]::Round(($days.ExpiresAt - $before).TotalDays) | Should -Be 90
    }

    It 'refuses a bare -TimeToLive number with a message whose suggestion works as written' {
        $thrown = $null
        try { Set-SecretValue -Name c -Value 'v' -TimeToLive 90 -ErrorAction Stop } catch { $thrown = $_ }
        $thrown | Should -Not -BeNullOrEmpty
        $thrown.Exception.Message | Should -Match "'90s'"
        $thrown.Exception.Message | Should -Match 'New-TimeSpan'
        # The suggestion, pasted as shown, binds.
        (Set-SecretValue -Name c -Value 'v' -TimeToLive '90s' -PassThru).ExpiresAt | Should -Not -BeNullOrEmpty
    }

    It 'stores metadata in clear and refuses malformed metadata' {
        $rotated = [datetime]::UtcNow
        Set-SecretValue -Name meta -Value 'v' -Metadata @{ owner = 'ops'; rotated = $rotated; tries = 3 }
        $entry = Get-SecretEntry meta
        $entry.Metadata['owner'] | Should -Be 'ops'
        $entry.Metadata['tries'] | Should -Be 3
        (Get-FirstError { Set-SecretValue -Name meta -Value 'v' -Metadata @{ 'bad key' = 1 } }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-SecretEntry meta).Version | Should -Be 1
    }

    It 'lists with wildcards, across namespaces with -Namespace *, and an exact missing name is SecretOps.NotFound' {
        New-SecretNamespace -Name ops | Out-Null
        'db-main', 'db-replica', 'api' | ForEach-Object { Set-SecretValue -Name $_ -Value 'v' }
        Set-SecretValue -Name db-ops -Value 'v' -Namespace ops
        (Get-SecretEntry).Count | Should -Be 3
        (Get-SecretEntry -Name 'db-*').Name | Should -Be @('db-main', 'db-replica')
        (Get-SecretEntry -Name 'db-*' -Namespace '*').Count | Should -Be 3
        (Get-SecretEntry -Namespace ops).Name | Should -Be 'db-ops'
        (Get-SecretEntry)[0].PSObject.TypeNames[0] | Should -Be 'SecretOps.SecretEntry'
        (Get-FirstError { Get-SecretEntry -Name nope }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        (Get-FirstError { Get-SecretEntry -Namespace no-such-ns }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'works in pipelines: entries into Get-SecretValue, Get-SecretVersion, Set-SecretValue and Remove-SecretValue' {
        New-SecretNamespace -Name ops | Out-Null
        Set-SecretValue -Name a -Value 'A'
        Set-SecretValue -Name b -Value 'B' -Namespace ops
        (Get-SecretEntry -Namespace '*' | Get-SecretValue -AsPlainText | Sort-Object) | Should -Be @('A', 'B')
        (Get-SecretEntry -Namespace ops | Get-SecretVersion).Namespace | Should -Be 'ops'
        Get-SecretEntry -Namespace ops | Set-SecretValue -Value 'B2'
        Get-SecretValue b -Namespace ops -AsPlainText | Should -Be 'B2'
        'piped' | Set-SecretValue -Name from-pipeline
        Get-SecretValue from-pipeline -AsPlainText | Should -Be 'piped'
        Get-SecretEntry -Namespace '*' | Remove-SecretValue -Confirm:$false
        Get-SecretEntry -Namespace '*' | Should -BeNullOrEmpty
    }

    It 'takes secret names from the pipeline: Get-SecretValue, Get-SecretVersion, Restore-SecretVersion, Remove-SecretValue' {
        Set-SecretValue -Name piped -Value 'one'
        Set-SecretValue -Name piped -Value 'two'
        'piped' | Get-SecretValue -AsPlainText | Should -Be 'two'
        ('piped' | Get-SecretVersion).Version | Should -Be @(1, 2)
        ('piped' | Restore-SecretVersion -Version 1 -PassThru).Version | Should -Be 3
        'piped' | Get-SecretValue -AsPlainText | Should -Be 'one'
        'piped' | Remove-SecretValue -Confirm:$false
        Get-SecretEntry -Name 'pip*' | Should -BeNullOrEmpty
    }

    It 'never reads a piped value as a name in Set-SecretValue' {
        { 'not-a-name' | Set-SecretValue -ErrorAction Stop } | Should -Throw
        Get-SecretEntry -Name 'not-*' | Should -BeNullOrEmpty
        'value' | Set-SecretValue -Name named
        Get-SecretValue named -AsPlainText | Should -Be 'value'
    }

    It 'uses the namespace given at connect time by default' {
        New-SecretNamespace -Name team | Out-Null
        Disconnect-SecretOpsStore
        $null = Connect-SecretOpsStore -Path $script:Store -Passphrase $script:Passphrase -Namespace team
        (Set-SecretValue -Name x -Value 'v' -PassThru).Namespace | Should -Be 'team'
        (Get-SecretEntry x).Namespace | Should -Be 'team'
    }

    It 'changes nothing with -WhatIf (set and remove)' {
        Set-SecretValue -Name never -Value 'v' -WhatIf
        Get-SecretEntry -Name 'never*' | Should -BeNullOrEmpty
        Set-SecretValue -Name kept -Value 'v'
        Remove-SecretValue -Name kept -WhatIf
        Get-SecretValue kept -AsPlainText | Should -Be 'v'
        Get-SecretEntry kept | Remove-SecretValue -WhatIf
        (Get-SecretEntry kept).Name | Should -Be 'kept'
    }

    It 'removes one old version, refuses the current one alone, and removes the whole secret' {
        Set-SecretValue -Name r -Value 'v1'
        Set-SecretValue -Name r -Value 'v2'
        Remove-SecretValue -Name r -Version 1 -Confirm:$false
        (Get-SecretVersion r).Version | Should -Be 2
        (Get-FirstError { Remove-SecretValue -Name r -Version 2 -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        Remove-SecretValue -Name r -Confirm:$false
        (Get-FirstError { Get-SecretValue r }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        (Get-FirstError { Remove-SecretValue -Name r -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'never shows a value in verbose output, errors or the audit log' {
        $canary = 'CANARY-' + [guid]::NewGuid().ToString('N')
        $verbose = @(Set-SecretValue -Name canary -Value $canary -Verbose 4>&1)
        $verbose += Get-SecretValue canary -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose | Out-String) | Should -Not -Match $canary
        $err = Get-FirstError { Set-SecretValue -Name canary -Value $canary -ExpectedVersion 7 }
        ($err | Out-String) + $err.Exception.ToString() | Should -Not -Match $canary
        (Get-SecretAuditLog | ConvertTo-Json -Depth 4) | Should -Not -Match $canary
        (Get-SecretEntry canary | ConvertTo-Json -Depth 4) | Should -Not -Match $canary
    }
}
