# genehost: the two commands of the README are `make serve` and `make test`.
GO ?= go

.PHONY: serve test check unit fuzz-short bench bench-peers

serve:
	$(GO) run ./cmd/genehost serve

# test is the whole suite: static checks, then every test with the race detector.
test: check unit

# check: formatting, vet, the import-direction rules of DESIGN.md section 8,
# and the wasip1 cross-build of the packages the Wasm guest SDK reuses.
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run ./tools/importcheck
	GOOS=wasip1 GOARCH=wasm $(GO) build ./gene/...

unit:
	$(GO) test -race -count=1 -timeout 12m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./gene/

# bench-peers: genehost against gRPC and NATS on loopback, one table of
# medians (tests/bench is its own module; BENCHFLAGS=-quick for a smoke run).
bench-peers:
	cd tests/bench && $(GO) run . $(BENCHFLAGS)
