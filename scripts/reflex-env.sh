# Source me (bash): `. scripts/reflex-env.sh`. Exports what Reflex 0.10 needs to run with no network
# access but the package registries (see shared PLATFORM_NOTES.md, "Installing and running Reflex
# offline"). Installs bun into .tools/bun on first use (scripts/bun.sh, from the npm registry).
# Every value can be overridden by exporting it before sourcing this file.

_reflex_env_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# No usage analytics (Reflex) and no "is there a newer reflex on PyPI" request at start-up.
export REFLEX_TELEMETRY_ENABLED="${REFLEX_TELEMETRY_ENABLED:-false}"
export REFLEX_CHECK_LATEST_VERSION="${REFLEX_CHECK_LATEST_VERSION:-false}"
# Reflex probes IPv4/IPv6 reachability on the internet before its first HTTP request unless this is set.
export REFLEX_HTTP_CLIENT_BIND_ADDRESS="${REFLEX_HTTP_CLIENT_BIND_ADDRESS:-0.0.0.0}"
# Without this Reflex times two registries (npmjs and npmmirror) and may pick one we cannot reach.
if [ -z "${NPM_CONFIG_REGISTRY:-}" ]; then
    NPM_CONFIG_REGISTRY="$(npm config get registry 2>/dev/null || true)"
    NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org/}"
fi
export NPM_CONFIG_REGISTRY
# bun's own crash reports / analytics.
export DO_NOT_TRACK="${DO_NOT_TRACK:-1}"

# bun from the npm registry (Reflex's installer downloads a script from the internet and fails here).
if [ -z "${REFLEX_BUN_PATH:-}" ]; then
    if REFLEX_BUN_PATH="$("$_reflex_env_root/scripts/bun.sh")"; then
        export REFLEX_BUN_PATH
    else
        echo "reflex-env.sh: could not install bun (scripts/bun.sh failed); Reflex cannot run" >&2
        unset REFLEX_BUN_PATH
    fi
else
    export REFLEX_BUN_PATH
fi

unset _reflex_env_root
