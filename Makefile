# genehost: the two commands of the README are `make serve` and `make test`.
GO ?= go

.PHONY: serve test check test-tools unit fuzz-short soak bench bench-peers wasm-c screenshots

serve:
	$(GO) run ./cmd/genehost serve

# test is the whole suite: static checks, the tools and C guests the tests
# need, then every test with the race detector. With CI=true a test that
# lacks a tool (or root) fails instead of skipping (tests/testenv), and
# test-tools and wasm-c install what is missing or fail.
test: check test-tools wasm-c unit fuzz-short soak

# test-tools: node and npm (TypeScript checks, the AsyncAPI parser), python3
# (the independent protocol client) and chromium (the explorer's browser
# tests); installed only with CI=true, otherwise only reported. With npm it
# installs the pinned @asyncapi/parser into tools/asyncapi/node_modules.
test-tools:
	bash tools/test-tools.sh

# check: formatting, vet, the dependency rules of ARCHITECTURE.md section 2
# (tools/importcheck), and the wasip1 cross-build of the packages a Go
# plugin is compiled from (gene, abi and the guest SDK).
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run ./tools/importcheck
	GOOS=wasip1 GOARCH=wasm $(GO) build ./gene/... ./abi ./sdk/wasm/guest

# wasm-c: install the C-to-Wasm toolchain where the machine allows it, then
# build the C guests of sdk/wasm/c into bin/wasm-c (both steps warn and go
# on when the toolchain cannot be had, and the C guest tests then skip;
# with CI=true both fail).
wasm-c:
	bash tools/wasi-toolchain.sh
	bash sdk/wasm/c/build.sh bin/wasm-c

unit:
	$(GO) test -race -count=1 -timeout 12m ./...

# fuzz-short runs every fuzz target of the repository (found with go test
# -list in the packages that declare one) for FUZZTIME each, and fails on
# the first crash; the crasher is left in that package's testdata/fuzz/ as a
# new regression case. A run that the Go fuzzing engine ends with "context
# deadline exceeded" and no failing input (its own shutdown race on a loaded
# machine) is run once more; a second failure fails.
FUZZTIME ?= 5s
fuzz-short:
	@set -e; for pkg in $$($(GO) list -f '{{.ImportPath}} {{.Dir}}' ./... | while read p d; do \
	    if grep -qs '^func Fuzz' $$d/*_test.go; then echo $$p; fi; done); do \
	  for fz in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$fz ($(FUZZTIME))"; \
	    if ! out=$$($(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); then \
	      if echo "$$out" | grep -q 'Failing input written' || ! echo "$$out" | grep -q 'context deadline exceeded'; then \
	        echo "$$out" | grep -v '^fuzz: elapsed'; exit 1; fi; \
	      echo "  (the fuzzing engine stopped on its own deadline without a failing input; once more)"; \
	      if ! out=$$($(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); then \
	        echo "$$out" | grep -v '^fuzz: elapsed'; exit 1; fi; \
	    fi; \
	  done; \
	done

# soak: mixed load over the shipped plugins with hot reloads and client
# churn for SOAKTIME (tests/soak); it reports values sent, received, lost
# and the peak memory, and fails on any loss.
SOAKTIME ?= 60s
soak:
	GENEHOST_SOAK=$(SOAKTIME) $(GO) test -count=1 -timeout 10m -run '^TestSoak$$' -v ./tests/soak/

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./gene/

# bench-peers: genehost against gRPC and NATS on loopback, one table of
# medians (tests/bench is its own module; BENCHFLAGS=-quick for a smoke run).
# tools.sh installs protoc and protoc-gen-go and generates the protobuf
# peer's code (tests/bench/order.pb.go) first.
bench-peers:
	cd tests/bench && ./tools.sh && $(GO) run . $(BENCHFLAGS)

# screenshots: the README's pictures of the explorer (genehost serve --ui),
# taken by tests/ui_test.go in headless Chromium into docs/.
screenshots:
	GENEHOST_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestExplorer$$' ./tests/
