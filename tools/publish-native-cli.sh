#!/usr/bin/env bash
# Publishes the secretops CLI ahead of time (NativeAOT) for this machine into out/cli-native/secretops.
# Needs clang and zlib's headers (Debian: apt-get install clang zlib1g-dev); the framework-dependent CLI in out/cli/
# (dotnet build) works without them, on every platform .NET runs on.
set -euo pipefail
cd "$(dirname "$0")/.."
rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
dotnet publish src/SecretOps.Cli -c Release -r "$rid" -p:PublishAot=true -o out/cli-native -v quiet -nologo
mv -f out/cli-native/SecretOps.Cli out/cli-native/secretops
rm -f out/cli-native/SecretOps.Cli.dbg
