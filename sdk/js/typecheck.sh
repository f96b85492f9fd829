#!/usr/bin/env bash
# typecheck.sh: type-checks the handler declarations (genehost.d.ts) against
# the example handlers and typecheck/*.js with tsc (tsconfig.json). It
# installs the pinned TypeScript from npm into sdk/js/node_modules first,
# once; later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")"
version=5.9.3
have=$(node -p 'require("./node_modules/typescript/package.json").version' 2>/dev/null || true)
if [ "$have" != "$version" ]; then
	echo "sdk/js: installing typescript@$version into sdk/js/node_modules"
	npm install --prefix "$PWD" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "typescript@$version"
fi
node node_modules/typescript/bin/tsc --version
node node_modules/typescript/bin/tsc -p tsconfig.json
echo "sdk/js: declarations and handlers type-check"
