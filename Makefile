# genehost: the two commands of the README are `make serve` and `make test`.
GO ?= go

.PHONY: serve test check unit fuzz-short bench bench-peers wasm-c

serve:
	$(GO) run ./cmd/genehost serve

# test is the whole suite: static checks, the C guests, then every test with
# the race detector.
test: check wasm-c unit

# check: formatting, vet, the import-direction rules of DESIGN.md section 8,
# and the wasip1 cross-build of the packages the Wasm guest SDK reuses.
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run ./tools/importcheck
	GOOS=wasip1 GOARCH=wasm $(GO) build ./gene/...

# wasm-c: install the C-to-Wasm toolchain where the machine allows it, then
# build the C guests of sdk/wasm/c into bin/wasm-c (both steps warn and go
# on when the toolchain cannot be had; the C guest tests then skip).
wasm-c:
	bash tools/wasi-toolchain.sh
	bash sdk/wasm/c/build.sh bin/wasm-c

unit:
	$(GO) test -race -count=1 -timeout 12m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./gene/

# bench-peers: genehost against gRPC and NATS on loopback, one table of
# medians (tests/bench is its own module; BENCHFLAGS=-quick for a smoke run).
bench-peers:
	cd tests/bench && $(GO) run . $(BENCHFLAGS)
