# The two commands a new user needs are `make run` and `make test`; everything else is for
# developers. Each target runs scripts/bootstrap first, which installs only what is missing.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure build run test bench format clean

all: build

# `make test` and `make bench` also install their own tools; `make run` only what it needs.
test: BOOTSTRAP_MODE = --test
bench: BOOTSTRAP_MODE = --bench

bootstrap:
	@scripts/bootstrap $(BOOTSTRAP_MODE)

configure: bootstrap
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)
	@ln -sfn $(PRESET)/progressd build/progressd
	@ln -sfn $(PRESET)/progressctl build/progressctl

run: build
	@mkdir -p data
	./build/progressd --host 127.0.0.1 --port 3000 --store sqlite:./data/progress.db

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

bench: build
	SKIP_BUILD=1 bench/run

# libFuzzer targets (fuzz/): the `fuzz` preset builds them with clang, then fuzz/run.sh runs each
# for FUZZ_SECONDS on a copy of fuzz/corpus/ and fails on any crash.
.PHONY: fuzz
FUZZ_SECONDS ?= 60
fuzz: BOOTSTRAP_MODE = --test
fuzz: bootstrap
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
