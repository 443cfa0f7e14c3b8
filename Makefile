# civicgrid — see README.md. `make demo` serves the demo city; `make test` runs everything.
GO      ?= go
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./civicgrid-data

.PHONY: all build assets demo test test-postgres test-go test-browser bench bench-large bench-web soak fuzz release clean

all: build

## build: the binary at bin/civicgrid, with the web assets embedded
build: assets
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/civicgrid ./cmd/civicgrid

## assets: front-end packages from npm (lockfile), copied into web/static/vendor
assets: node_modules/.package-lock.json
	bash scripts/vendor-assets.sh

node_modules/.package-lock.json: package.json package-lock.json
	bash scripts/ensure-npm.sh
	npm ci --no-audit --no-fund --loglevel=error

## demo: build, seed the demo city into $(DATA) if empty, serve it at http://$(ADDR)/
demo: build
	bin/civicgrid demo --data $(DATA) --addr $(ADDR) --past-days 180

## test: install what the tests need, then vet, the Go tests on SQLite, then the Go tests on a throw-away PostgreSQL 15 beside the browser tests (BROWSER_JOBS test files at a time)
BROWSER_JOBS ?= 2
test: build
	bash scripts/install-browser-deps.sh
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	BROWSER_JOBS=$(BROWSER_JOBS) bash scripts/pg-beside-browser.sh $(GO)

## test-go: vet and the Go tests on SQLite only
test-go:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## test-browser: the browser tests only, BROWSER_JOBS files at a time (default 2; each file has its own demo server and browser)
test-browser: build
	bash scripts/install-browser-deps.sh
	CIVICGRID_BIN=bin/civicgrid node --test --test-concurrency=$(BROWSER_JOBS) tests/browser/

## test-postgres: the Go tests on a throw-away PostgreSQL 15 only
test-postgres:
	bash scripts/with-postgres.sh $(GO) test -count=1 -timeout 30m ./...

## bench: benchmarks up to 10⁵ grids, 10⁶ cases and 10⁵ open deadlines (figures go to docs/benchmarks.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./...

## bench-large: the same with 10⁶ grids, 10⁷ cases and 10⁶ open deadlines (several GB of memory and disk, about 20 minutes)
bench-large:
	CIVICGRID_BENCH_LARGE=1 $(GO) test -run '^$$' -bench . -benchmem -cpu 1 -timeout 60m ./...

## bench-web: the report page's time to usable under an emulated slow 4G network, RUNS times (default 3), median printed (not in test: the tests assert its bytes, requests and chain depth instead)
bench-web: build
	bash scripts/web-budget.sh

## soak: the scale suite (not in test): 10⁶ cases built through the case service, then SOAK_DURATION (default 10m) of 300 reports/s + 150 reads/s, beside an empty-store baseline (figures go to docs/benchmarks.md)
soak: build
	bash scripts/soak.sh

## release: static binaries for linux/amd64 and linux/arm64 with the version stamped, and their SHA256SUMS, in dist/
release: assets
	bash scripts/release.sh $(VERSION)

## fuzz: fuzz the GeoJSON import, the point lookup, case intake, the Open311 form, deadline limits and the login's next for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./areaio/
	$(GO) test -run '^$$' -fuzz FuzzLocate -fuzztime $(FUZZTIME) ./gridindex/
	$(GO) test -run '^$$' -fuzz FuzzCaseIntake -fuzztime $(FUZZTIME) ./server/
	$(GO) test -run '^$$' -fuzz FuzzOpen311Form -fuzztime $(FUZZTIME) ./server/
	$(GO) test -run '^$$' -fuzz FuzzParseLimit -fuzztime $(FUZZTIME) ./workcal/
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./photo/
	$(GO) test -run '^$$' -fuzz FuzzLocateHandler -fuzztime $(FUZZTIME) ./server/
	$(GO) test -run '^$$' -fuzz FuzzLoginNext -fuzztime $(FUZZTIME) ./server/

clean:
	rm -rf bin dist web/static/vendor test-artifacts
