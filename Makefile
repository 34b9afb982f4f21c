# revledger: the two front-door commands are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
STATICCHECK_VERSION ?= v0.8.2
PKGS := ./...

.PHONY: all build demo test bench lint tools clean

all: lint test

## build: compile the revledger binary into ./bin
build:
	$(GO) build -o bin/revledger ./cmd/revledger

## demo: run the whole job against the built-in fake Revolut API and show where the workbook is
## (flags through DEMO_FLAGS, e.g. make demo DEMO_FLAGS=--revalue)
demo: build
	./bin/revledger demo $(DEMO_FLAGS)

## test: every test with the race detector, integration tests included (real PostgreSQL, real S3 via versitygw, fake API over HTTP)
test: tools
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

## bench: benchmarks (see docs/BENCHMARKS.md for the report)
bench: tools
	GO=$(GO) ./scripts/bench.sh

## lint: formatting, go vet and staticcheck (pinned)
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	./scripts/check-self-contained.sh
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

## tools: build the S3-compatible test server once into .cache/bin (the tests would build it too)
tools: .cache/bin/versitygw

.cache/bin/versitygw:
	mkdir -p .cache/bin
	GOBIN=$(CURDIR)/.cache/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

clean:
	rm -rf bin .cache exports
