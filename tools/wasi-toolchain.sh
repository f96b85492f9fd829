#!/usr/bin/env bash
# wasi-toolchain.sh: installs the C-to-WebAssembly toolchain that builds C
# plugins (sdk/wasm/c): the Debian packages clang, lld, wasi-libc and
# libclang-rt-dev-wasm32 (the C guide: sdk/wasm/c/README.md).
#
# Idempotent: packages already installed are left alone, and a machine that
# has them all is not touched. It says what it did. When it cannot install
# (not root and no password-less sudo, no apt-get, the install failed) it
# prints a warning and exits 0, so `make test` goes on and the C guest tests
# skip with a message of their own; with CI=true it exits 1 instead, since
# those tests then fail rather than skip (tests/testenv).
#
# Usage: tools/wasi-toolchain.sh [--check]
#   --check  only report what is missing; install nothing (exit 1 if any is)
set -uo pipefail

packages=(clang lld wasi-libc libclang-rt-dev-wasm32)

say() { echo "wasi-toolchain: $*"; }
warn() { echo "wasi-toolchain: warning: $*" >&2; }
# giveup warns and exits: 0 (go on without the C guests), 1 under CI=true.
giveup() {
	warn "$*"
	if [ "${CI:-}" = "true" ]; then
		echo "wasi-toolchain: error: CI=true needs the toolchain (the C guest tests fail without it)" >&2
		exit 1
	fi
	exit 0
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	giveup "not a Debian system (no dpkg-query); install clang, lld, wasi-libc and the wasm32 compiler-rt builtins yourself"
fi

missing=()
for p in "${packages[@]}"; do
	if installed "$p"; then
		say "$p: already installed"
	else
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	say "toolchain complete: $(command -v clang || echo 'clang not on PATH')"
	exit 0
fi

if [ "${1:-}" = "--check" ]; then
	say "missing: ${missing[*]}"
	exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		giveup "cannot install ${missing[*]}: not root and no password-less sudo; C guests will not be built"
	fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
	giveup "cannot install ${missing[*]}: no apt-get; C guests will not be built"
fi

export DEBIAN_FRONTEND=noninteractive
say "installing ${missing[*]}"
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/wasi-toolchain.$$.log 2>&1; then
	# The package lists may be missing or stale (a fresh container): update
	# them once and try again.
	say "apt-get install failed; running apt-get update and retrying"
	if ! "${sudo[@]}" apt-get update -qq >>/tmp/wasi-toolchain.$$.log 2>&1 ||
		! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/wasi-toolchain.$$.log 2>&1; then
		tail -n 20 /tmp/wasi-toolchain.$$.log >&2
		rm -f /tmp/wasi-toolchain.$$.log
		giveup "could not install ${missing[*]}; C guests will not be built"
	fi
fi
rm -f /tmp/wasi-toolchain.$$.log

for p in "${missing[@]}"; do
	if installed "$p"; then
		say "$p: installed"
	else
		warn "$p: still not installed after apt-get"
	fi
done
say "toolchain ready: $(command -v clang || echo 'clang not on PATH')"
exit 0
