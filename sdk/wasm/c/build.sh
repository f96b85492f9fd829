#!/usr/bin/env bash
# build.sh [OUTDIR]: builds the C guests of sdk/wasm/c (examples/*.c and the
# test fixtures testdata/*.c) to OUTDIR/NAME.wasm (default bin/wasm-c).
#
# The compiler is $WASI_CC (default clang) for wasm32-wasi, with
# --sysroot=$WASI_SYSROOT when set (Debian's clang finds wasi-libc itself).
# When the compiler cannot build a trivial wasm32-wasi reactor, it says so
# and exits 0 without building (tools/wasi-toolchain.sh installs the
# toolchain); with CI=true it exits 1 instead, since the C guest tests then
# fail rather than skip. Once it can, a guest that fails to build fails the
# script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-bin/wasm-c}
cc=${WASI_CC:-clang}
flags=(--target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -Wl,--strip-debug -I "$here" -I "$here/testdata")
if [ -n "${WASI_SYSROOT:-}" ]; then flags+=("--sysroot=$WASI_SYSROOT"); fi

# notbuilt says why the guests are not built and exits: 0, or 1 under CI=true.
notbuilt() {
	echo "sdk/wasm/c: $*; C guests not built (tools/wasi-toolchain.sh installs the toolchain)"
	if [ "${CI:-}" = "true" ]; then
		echo "sdk/wasm/c: error: CI=true needs the C guests" >&2
		exit 1
	fi
	exit 0
}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stdlib.h>\nvoid *f(int n) { return malloc(n); }\n' >"$probe/probe.c"
if ! command -v "$cc" >/dev/null 2>&1; then
	notbuilt "$cc not found"
fi
if ! "$cc" "${flags[@]}" -o "$probe/probe.wasm" "$probe/probe.c" >"$probe/log" 2>&1; then
	sed 's/^/  /' "$probe/log" | head -n 5
	notbuilt "$cc cannot build a wasm32-wasi reactor (its errors above)"
fi

mkdir -p "$out"
n=0
for src in "$here"/examples/*.c "$here"/testdata/*.c; do
	name=$(basename "$src" .c)
	"$cc" "${flags[@]}" -o "$out/$name.wasm" "$src"
	n=$((n + 1))
done
echo "sdk/wasm/c: built $n C guests into $out ($("$cc" --version | head -n 1))"
