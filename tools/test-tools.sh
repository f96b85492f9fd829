#!/usr/bin/env bash
# test-tools.sh: the tools some tests run besides Go, other than the C
# toolchain (tools/wasi-toolchain.sh): node and npm for the TypeScript
# checks (sdk/js, examples; sdk/js/typecheck.sh installs tsc itself) and
# python3 for the independent protocol client (host/interop_test.go).
#
# With CI=true it installs the missing ones (Debian packages nodejs, npm,
# python3 through apt-get, as root or with password-less sudo) and fails
# when it cannot, since those tests fail rather than skip under CI=true
# (tests/testenv). Otherwise it only says what is missing and which tests
# will skip, and exits 0: a developer's machine is left alone.
set -uo pipefail

# command on PATH -> Debian package
tools=(node:nodejs npm:npm python3:python3)

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
[ ${#missing[@]} -eq 0 ] && exit 0

names=() pkgs=()
for tp in "${missing[@]}"; do
	names+=("${tp%%:*}")
	pkgs+=("${tp#*:}")
done

if [ "${CI:-}" != "true" ]; then
	say "not found: ${names[*]}; the tests that need them skip (CI=true installs them, or fails)"
	exit 0
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
