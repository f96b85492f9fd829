#!/usr/bin/env bash
# test-tools.sh: the tools some tests run besides Go, other than the C
# toolchain (tools/wasi-toolchain.sh): node and npm for the TypeScript
# checks (sdk/js, examples; sdk/js/typecheck.sh installs tsc itself) and
# the AsyncAPI validation (host/asyncapi_test.go, tests/asyncapi_test.go),
# python3 for the independent protocol client (host/interop_test.go), and
# chromium for the explorer's browser tests (tests/ui_test.go).
#
# With CI=true it installs the missing ones (Debian packages nodejs, npm,
# python3, chromium through apt-get, as root or with password-less sudo)
# and fails when it cannot, since those tests fail rather than skip under
# CI=true (tests/testenv). Otherwise it only says what is missing and which
# tests will skip: a developer's machine is left alone.
#
# Then, wherever npm is, it installs the AsyncAPI parser pinned by
# tools/asyncapi/package-lock.json into tools/asyncapi/node_modules (npm
# ci; once: later runs find it), as sdk/js/typecheck.sh does for tsc.
set -uo pipefail
cd "$(dirname "$0")/.."

# command on PATH -> Debian package
tools=(node:nodejs npm:npm python3:python3 chromium:chromium)

# asyncapi_parser installs tools/asyncapi's node_modules when the pinned
# parser is not there; it fails (under CI=true) or warns when it cannot.
asyncapi_parser() {
	local want have
	want=$(sed -n 's/.*"@asyncapi\/parser": *"\([^"]*\)".*/\1/p' tools/asyncapi/package.json)
	have=$(node -p 'require("./tools/asyncapi/node_modules/@asyncapi/parser/package.json").version' 2>/dev/null || true)
	if [ -n "$want" ] && [ "$have" = "$want" ]; then
		say "@asyncapi/parser $have: tools/asyncapi/node_modules"
		return 0
	fi
	if ! command -v npm >/dev/null 2>&1; then
		if [ "${CI:-}" = "true" ]; then
			echo "test-tools: error: no npm to install @asyncapi/parser (CI=true: the AsyncAPI validation would fail)" >&2
			return 1
		fi
		say "no npm: @asyncapi/parser not installed; the AsyncAPI validation skips"
		return 0
	fi
	say "installing @asyncapi/parser $want into tools/asyncapi/node_modules (npm ci)"
	if ! npm ci --prefix tools/asyncapi --no-audit --no-fund --loglevel=error; then
		if [ "${CI:-}" = "true" ]; then
			echo "test-tools: error: npm ci in tools/asyncapi failed (CI=true: the AsyncAPI validation would fail)" >&2
			return 1
		fi
		say "npm ci in tools/asyncapi failed; the AsyncAPI validation skips"
	fi
	return 0
}

say() { echo "test-tools: $*"; }

missing=()
for tp in "${tools[@]}"; do
	t=${tp%%:*}
	if p=$(command -v "$t"); then
		say "$t: $p"
	else
		missing+=("$tp")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	asyncapi_parser
	exit
fi

names=() pkgs=()
for tp in "${missing[@]}"; do
	names+=("${tp%%:*}")
	pkgs+=("${tp#*:}")
done

if [ "${CI:-}" != "true" ]; then
	say "not found: ${names[*]}; the tests that need them skip (CI=true installs them, or fails)"
	asyncapi_parser
	exit
fi

fail() {
	echo "test-tools: error: $* (CI=true: the tests that need ${names[*]} would fail)" >&2
	exit 1
}

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		fail "cannot install ${pkgs[*]}: not root and no password-less sudo"
	fi
fi
command -v apt-get >/dev/null 2>&1 || fail "cannot install ${pkgs[*]}: no apt-get"

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
say "installing ${pkgs[*]}"
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >"$log" 2>&1; then
	say "apt-get install failed; running apt-get update and retrying"
	if ! "${sudo[@]}" apt-get update -qq >>"$log" 2>&1 ||
		! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		fail "could not install ${pkgs[*]}"
	fi
fi
for t in "${names[@]}"; do
	command -v "$t" >/dev/null 2>&1 || fail "$t still not on PATH after apt-get"
	say "$t: $(command -v "$t")"
done
asyncapi_parser
