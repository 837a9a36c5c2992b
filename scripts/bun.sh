#!/usr/bin/env bash
# Install bun from the npm registry into .tools/bun (Reflex's own installer downloads a script from
# the internet, which these machines cannot reach) and print the path of the binary.
#
#   scripts/bun.sh            -> installs if missing, prints e.g. /repo/.tools/bun/node_modules/bun/bin/bun.exe
#   BUN_VERSION=1.4.4 (default; Reflex 0.10 needs bun >= 1.4.4)
#
# Only the path goes to stdout, so callers can do: REFLEX_BUN_PATH="$(scripts/bun.sh)".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUN_VERSION="${BUN_VERSION:-1.4.4}"
PREFIX="$ROOT/.tools/bun"
BIN="$PREFIX/node_modules/bun/bin/bun.exe"

installed_version() {
    [ -x "$BIN" ] && "$BIN" --version 2>/dev/null || true
}

if [ "$(installed_version)" != "$BUN_VERSION" ]; then
    command -v npm >/dev/null || { echo "scripts/bun.sh: npm is required to install bun" >&2; exit 1; }
    mkdir -p "$PREFIX"
    echo "Installing bun@$BUN_VERSION into $PREFIX ..." >&2
    # The package's postinstall puts the platform binary (@oven/bun-linux-x64*) in place of bun.exe.
    npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" 2>&1 \
        | grep -v 'Unknown user config' >&2 || true
    got="$(installed_version)"
    if [ "$got" != "$BUN_VERSION" ]; then
        echo "scripts/bun.sh: bun@$BUN_VERSION did not install into $PREFIX (found: '${got:-nothing}')" >&2
        exit 1
    fi
fi

echo "$BIN"
