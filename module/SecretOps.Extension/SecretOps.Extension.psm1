# SecretManagement vault extension for SecretOps: thin wrappers over [SecretOps.Module.VaultCommands], which
# does the work (module/../src/SecretOps.Module/VaultCommands.cs, semantics in SecretOps.Core's SecretVault).
# SecretManagement calls these functions as SecretOps.Extension\<name> with exactly the parameters below, in
# its own runspace; it also imports this folder on its own when registering a vault. So this script loads the
# engine itself, through the same load context as the parent module (the context is one per process).
# Errors are written, never thrown, except SecretManagement's PasswordRequiredException for a locked vault.

# Loaded on first use, not at import: when SecretOps.psd1 is imported this nested module loads before the
# root module, whose SecretOps.psm1 must stay the first to load the engine (its reload handling depends on it).
$script:VaultCommands = $null

function Get-VaultCommands {
    # The type of [SecretOps.Module.VaultCommands], or $null after writing why it cannot be loaded.
    if ($null -eq $script:VaultCommands) {
        try {
            $binPath = [IO.Path]::Combine([IO.Path]::GetDirectoryName($PSScriptRoot), 'bin')
            if (-not ('SecretOps.LoadContext' -as [type])) {
                $null = [Reflection.Assembly]::LoadFrom([IO.Path]::Combine($binPath, 'SecretOps.dll'))
            }

            # The module assembly lives in SecretOps' load context (one per process, shared with the parent module),
            # so its types cannot be named as [literals] here: keep the type object and call its static methods.
            $script:VaultCommands = [SecretOps.LoadContext]::Initialize($binPath).GetType('SecretOps.Module.VaultCommands', $true)
        }
        catch {
            Write-Error -ErrorRecord $_
            return $null
        }
    }

    $script:VaultCommands
}

function Write-VaultCallResult {
    param([object] $Result)
    # Verbose lines come back only when SecretManagement's AdditionalParameters asked for them.
    foreach ($line in $Result.Verbose) {
        Write-Verbose -Message $line -Verbose
    }

    foreach ($line in $Result.Warnings) {
        Write-Warning -Message $line
    }

    foreach ($record in $Result.Errors) {
        Write-Error -ErrorRecord $record
    }

    if ($Result.PasswordRequired) {
        # Resolved at run time: SecretManagement has loaded its assembly before it calls a vault.
        $passwordRequired = 'Microsoft.PowerShell.SecretManagement.PasswordRequiredException' -as [type]
        if ($null -ne $passwordRequired) {
            throw ($passwordRequired::new([string] $Result.PasswordRequired))
        }

        throw [System.InvalidOperationException]::new([string] $Result.PasswordRequired)
    }
}

function Get-Secret {
    [CmdletBinding()]
    param(
        [string] $Name,
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $result = $commands::GetSecret($Name, $VaultName, $AdditionalParameters)
    if ($result.HasMessages) { Write-VaultCallResult $result }
    if ($null -ne $result.Value) {
        # Exactly one object: a byte[] or Hashtable must not be unrolled (the one-element array is, to the value itself).
        , $result.Value
    }
}

function Set-Secret {
    [CmdletBinding()]
    param(
        [string] $Name,
        [object] $Secret,
        [string] $VaultName,
        [hashtable] $AdditionalParameters,
        [hashtable] $Metadata
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $result = $commands::SetSecret($Name, $Secret, $VaultName, $AdditionalParameters, $Metadata)
    if ($result.HasMessages) { Write-VaultCallResult $result }
}

function Remove-Secret {
    [CmdletBinding()]
    param(
        [string] $Name,
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $result = $commands::RemoveSecret($Name, $VaultName, $AdditionalParameters)
    if ($result.HasMessages) { Write-VaultCallResult $result }
}

function Get-SecretInfo {
    [CmdletBinding()]
    param(
        [string] $Filter,
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $informationType = 'Microsoft.PowerShell.SecretManagement.SecretInformation' -as [type]
    if ($null -eq $informationType) {
        Write-Error -Message 'Microsoft.PowerShell.SecretManagement is not loaded: Get-SecretInfo of a SecretOps vault runs through SecretManagement.' -ErrorId 'SecretOps.SecretManagementMissing' -Category NotInstalled
        return
    }

    $result = $commands::GetSecretInfo($Filter, $VaultName, $AdditionalParameters, $informationType)
    if ($result.HasMessages) { Write-VaultCallResult $result }
    if ($null -ne $result.Infos) {
        # One SecretInformation[], written whole: SecretManagement takes the array as it is.
        , $result.Infos
    }
}

function Test-SecretVault {
    [CmdletBinding()]
    param(
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return $false }
    $result = $commands::TestSecretVault($VaultName, $AdditionalParameters)
    if ($result.HasMessages) { Write-VaultCallResult $result }
    # Exactly one bool.
    [bool] $result.Value
}

function Set-SecretInfo {
    [CmdletBinding()]
    param(
        [string] $Name,
        [hashtable] $Metadata,
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $result = $commands::SetSecretInfo($Name, $Metadata, $VaultName, $AdditionalParameters)
    if ($result.HasMessages) { Write-VaultCallResult $result }
}

function Unlock-SecretVault {
    [CmdletBinding()]
    param(
        [SecureString] $Password,
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $result = $commands::UnlockSecretVault($Password, $VaultName, $AdditionalParameters)
    if ($result.HasMessages) { Write-VaultCallResult $result }
}

function Unregister-SecretVault {
    [CmdletBinding()]
    param(
        [string] $VaultName,
        [hashtable] $AdditionalParameters
    )

    $commands = Get-VaultCommands
    if ($null -eq $commands) { return }
    $result = $commands::UnregisterSecretVault($VaultName, $AdditionalParameters)
    if ($result.HasMessages) { Write-VaultCallResult $result }
}

Export-ModuleMember -Function @(
    'Get-Secret'
    'Set-Secret'
    'Remove-Secret'
    'Get-SecretInfo'
    'Test-SecretVault'
    'Set-SecretInfo'
    'Unlock-SecretVault'
    'Unregister-SecretVault'
)
