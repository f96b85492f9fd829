#!/bin/sh
# Test of the {{NAME}} plugin: serve it alone with genehost on a temporary
# socket, send a value, and check that the same value comes back.
#   ./test.sh                 (genehost on PATH)
#   GENEHOST=/path/to/genehost ./test.sh
set -eu
genehost=${GENEHOST:-genehost}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/plugins"
cp -R "$here" "$tmp/plugins/{{NAME}}"
rm -f "$tmp/plugins/{{NAME}}/test.sh"
"$genehost" serve --plugins "$tmp/plugins" --listen "unix://$tmp/g.sock" \
	--data "$tmp/data" > "$tmp/out" 2> "$tmp/log" &
pid=$!
tries=0
until grep -q '^listening on' "$tmp/out"; do
	tries=$((tries + 1))
	if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -gt 1200 ]; then
		echo "FAIL: genehost serve did not start:"; cat "$tmp/log"; exit 1
	fi
	sleep 0.1
done
if grep -q 'plugin not loaded' "$tmp/log"; then
	echo "FAIL: the plugin did not load:"; cat "$tmp/log"; exit 1
fi
want='(hello ^n 1 ^tags ["a" "b"])'
got=$("$genehost" call "unix://$tmp/g.sock" {{NAME}} "$want")
if [ "$got" != "$want" ]; then
	echo "FAIL: sent $want, got $got"; exit 1
fi
echo "PASS: {{NAME}} replied $got"
