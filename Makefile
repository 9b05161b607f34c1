# Everything a fresh machine needs is set up by these targets, idempotently:
# Go modules (go build downloads them), the .venv with the worker installed,
# the xlrl binary and the Q-update kernel's shared library.

SHELL    := /bin/bash
PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
BIN      := bin/xlrl
GO_SRC   := $(shell find cmd cli internal worker -name '*.go' 2>/dev/null) $(wildcard *.go) go.mod go.sum
PY_SRC   := $(shell find pyworker -name '*.py' 2>/dev/null)

export XLRL_PYTHON ?= $(abspath $(PY))

.PHONY: build-gorgonia all demo test test-go test-py test-e2e test-slow test-long lint fmt venv build libqvalue bench clean fuzz

all: build venv

## demo: set everything up and run the main job on its built-in default
demo: build venv
	$(BIN) demo

## test: set everything up and run every test (Go with -race, Python, end to end)
test: lint test-go test-py examples

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "make venv: installing the worker's packages into $(VENV) (TensorFlow is large: a few minutes the first time)"
	set -o pipefail; $(PY) -m pip install --disable-pip-version-check --progress-bar off -e '.[dev]' \
		| { grep --line-buffered -v '^Requirement already satisfied' || true; }
	touch $@

build: $(BIN)
$(BIN): $(GO_SRC)
	go build -o $@ ./cmd/xlrl

## build-gorgonia: bin/xlrl with the optional Gorgonia backend (--backend gorgonia)
build-gorgonia:
	go build -tags gorgonia -o $(BIN) ./cmd/xlrl

lint: venv
	@test -z "$$(gofmt -l cmd internal cli worker examples *.go)" || { gofmt -l cmd internal cli worker examples *.go; echo "gofmt: run 'make fmt'"; exit 1; }
	go vet ./...
	$(VENV)/bin/ruff check pyworker tests bench scripts
	$(VENV)/bin/ruff format --check pyworker tests bench scripts
	$(VENV)/bin/mypy

fmt: venv
	gofmt -w cmd internal cli worker examples *.go
	$(VENV)/bin/ruff format pyworker tests bench scripts

test-go: build venv
	# Every module of go.sum, test-only ones too: TestDocsGoBlocksCompile
	# builds the docs' programs offline (GOPROXY=off) from the module cache.
	go mod download
	go test -race ./...
	# Parity with Gymnasium must not depend on the compiler fusing multiply-adds.
	GOAMD64=v3 go test ./internal/env
	# The optional Gorgonia backend (go build -tags gorgonia) against the Go MLP.
	go test -tags gorgonia -run Gorgonia ./internal/backend

test-py: build venv libqvalue
	$(PY) -m pytest -q tests

.PHONY: examples
## examples: build, vet and run each outside module under examples/ (replace => ../..)
examples:
	cd examples/gridworld && go vet ./... && go run .
	cd examples/embed && go vet ./... && go run . && go test -run '^$$' -bench Decision -benchtime 20000x .
	cd examples/custom-cli && go vet ./... && go test ./...

## libqvalue: the Q-update kernel as a C shared library, for bench/qvalue.py (ctypes)
libqvalue: libqvalue.so
libqvalue.so: $(GO_SRC)
	go build -buildmode=c-shared -o $@ ./cmd/libqvalue

## test-slow: the learning checks (several seeds each)
test-slow: build venv
	go test -run 'Learning' -tags slow -timeout 60m ./...
	$(PY) -m pytest -q -m slow tests

## test-long: learning checks too long for CI (run by hand; figures in docs/benchmarks.md)
test-long: build venv
	go test -run 'Learning' -tags long -timeout 180m ./...
	$(PY) -m pytest -q -m long tests -p no:cacheprovider || test $$? -eq 5

## xlrl-envs: the Go environments as a C shared library inside the xlrl_envs Python package, installed into the .venv
XLRL_ENVS_LIB := python/xlrl_envs/xlrl_envs/libxlrlenvs.so
XLRL_ENVS_PY  := $(shell find python/xlrl_envs -name '*.py' -not -path '*/build/*' 2>/dev/null) python/xlrl_envs/pyproject.toml \
                 python/xlrl_envs/xlrl_envs/_fast.c python/xlrl_envs/xlrl_envs/_fast.pyi
.PHONY: xlrl-envs
xlrl-envs: $(VENV)/.xlrl-envs-installed
$(XLRL_ENVS_LIB): $(GO_SRC) $(shell find envlib -name '*.go' 2>/dev/null)
	go build -buildmode=c-shared -o $@ ./cmd/libxlrlenvs
$(VENV)/.xlrl-envs-installed: $(XLRL_ENVS_LIB) $(XLRL_ENVS_PY) $(VENV)/.installed
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --force-reinstall ./python/xlrl_envs
	rm -rf python/xlrl_envs/build
	touch $@
all demo test-py: xlrl-envs

## venv-box2d, venv-mujoco: Gymnasium's Box2D / MuJoCo environments in the .venv (pyproject extras)
.PHONY: venv-box2d venv-mujoco test-extras
venv-box2d: venv
	$(PY) -m pip install -q --disable-pip-version-check -e '.[box2d]'
venv-mujoco: venv
	$(PY) -m pip install -q --disable-pip-version-check -e '.[mujoco]'
# The learning checks of gym:LunarLander-v3 need Box2D.
test-long: venv-box2d

# lint also covers envlib and the xlrl_envs package.
.PHONY: lint-envs
lint: lint-envs
lint-envs: venv
	@test -z "$$(gofmt -l envlib)" || { gofmt -l envlib; echo "gofmt: run 'gofmt -w envlib'"; exit 1; }
	$(VENV)/bin/ruff check python
	$(VENV)/bin/ruff format --check python

## test-extras: the tests of the Box2D and MuJoCo environments (marked box2d, mujoco)
test-extras: build venv-box2d venv-mujoco
	$(PY) -m pytest -q -m 'box2d or mujoco' tests
## fuzz: each Go fuzz target for FUZZTIME, then the wire format's Hypothesis properties with more examples
## (findings and durations: docs/reliability.md)
FUZZTIME ?= 30s
FUZZ_TARGETS := FuzzUnmarshalCheckpoint:./internal/ckpt FuzzCheckpointBody:./internal/ckpt FuzzDecodeMetrics:./internal/run FuzzLoad:./internal/replay FuzzLoad:./internal/agent/tabular \
	FuzzDecodeArray:./internal/worker FuzzHandshake:./internal/worker FuzzConfig:./internal/flagcheck
fuzz: venv
	@for t in $(FUZZ_TARGETS); do \
		echo "== $${t%%:*} ($(FUZZTIME))"; \
		go test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) $${t#*:} || exit 1; \
	done
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/test_protocol_properties.py

clean:
	rm -rf bin build runs $(VENV) libqvalue.so libqvalue.h $(XLRL_ENVS_LIB) python/xlrl_envs/xlrl_envs/libxlrlenvs.h python/xlrl_envs/xlrl_envs/_fast*.so
