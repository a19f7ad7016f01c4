# The two commands a new user needs are `make run` and `make test`; everything else is for
# developers. Each target runs scripts/bootstrap first, which installs only what is missing.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure build build-run run install deb test test-asan test-tsan lint soak bench format clean

all: build

# `make test` and `make bench` also install their own tools; `make run` only what it needs.
test test-asan test-tsan lint soak: BOOTSTRAP_MODE = --test
bench: BOOTSTRAP_MODE = --bench

bootstrap:
	@scripts/bootstrap $(BOOTSTRAP_MODE)

# WERROR=ON (CI: .ci/run) turns our warnings into errors (PROGRESSD_WERROR) and fails the build on
# a `#pragma message` note too, which -Werror lets through. Off by default: a newer compiler's new
# warning must not stop `make run` on a user's machine.
WERROR ?= OFF
configure: bootstrap
	@cmake --preset $(PRESET) -DPROGRESSD_WERROR=$(WERROR) >/dev/null

# $(call build_targets,TARGETS): cmake --build, with the WERROR=ON check of its output.
define build_targets
	@if [ "$(WERROR)" = ON ]; then \
	    { cmake --build --preset $(PRESET) -j $(JOBS) $(1) 2>&1; echo $$? >$(BUILD_DIR)/build.rc; } | \
	        tee $(BUILD_DIR)/build.log; \
	    [ "$$(cat $(BUILD_DIR)/build.rc)" = 0 ] || exit 1; \
	    if grep -n 'pragma message' $(BUILD_DIR)/build.log; then \
	        echo "build: a #pragma message note, above (WERROR=ON)" >&2; exit 1; fi; \
	else cmake --build --preset $(PRESET) -j $(JOBS) $(1); fi
endef

build: configure
	$(call build_targets,)
	@ln -sfn $(PRESET)/progressd build/progressd
	@ln -sfn $(PRESET)/progressctl build/progressctl

# `make run` builds the two programs only (no tests, no benchmarks) and serves in the foreground
# until Ctrl-C. HOST, PORT and STORE come from the command line (`make run PORT=3001`) or the
# environment (`PORT=3001 make run`).
HOST ?= 127.0.0.1
PORT ?= 3000
STORE ?= sqlite:./data/progress.db
build-run: configure
	$(call build_targets,--target progressd progressctl)
	@ln -sfn $(PRESET)/progressd build/progressd
	@ln -sfn $(PRESET)/progressctl build/progressctl

run: build-run
	@mkdir -p data
	./build/progressd --host '$(HOST)' --port '$(PORT)' --store '$(STORE)'

# `make install` copies both programs to $(PREFIX)/bin and the systemd unit and nginx sample to
# $(PREFIX)/share/progressd (DESTDIR=... stages them elsewhere); `make deb` builds
# build/progressd_<version>_<arch>.deb with CPack (cmake/packaging.cmake).
PREFIX ?= /usr/local
install: build-run
	@cmake --install $(BUILD_DIR) --prefix '$(PREFIX)'

deb: build-run
	@cd $(BUILD_DIR) && cpack -G DEB >/dev/null
	@cp $(BUILD_DIR)/progressd_*.deb build/
	@ls build/progressd_*.deb

# `make test` runs the release build's tests, then the sanitizer runs: `make test SANITIZERS=`
# skips them, `make test-asan` or `make test-tsan` runs one alone.
SANITIZERS ?= asan tsan
test: build
	@ctest --preset $(PRESET) -j $(JOBS)
	@for s in $(SANITIZERS); do $(MAKE) --no-print-directory test-$$s || exit 1; done

# The sanitizer runs (issue #6). Each builds only progressd and the programs of the tests it
# runs, and its test preset in CMakePresets.json chooses the tests and sets the options that
# make the first report fail the test: asan (AddressSanitizer, LeakSanitizer and UBSan) runs the unit and e2e
# tests, all but the browser tests (the dashboard's JS, whose server side e2e/web_test and
# e2e/events_test cover) and the Zod fixture check (Node alone); tsan (ThreadSanitizer) runs
# the tests where threads meet: the stores and their writer and worker threads, the hub and
# event streams, metrics, rate limits, and the e2e tests with concurrent writers and watchers.
# A report from the server itself fails the test that started it (tests/support/server_process).
test-asan test-tsan: test-%: bootstrap
	@cmake --preset $* >/dev/null
	@cmake --build --preset $* -j $(JOBS) --target progressd progressd_tests progressd_e2e_tests
	@ctest --preset $* -j $(JOBS)

# Static analysis (issue #6): clang-tidy (checks in .clang-tidy) and cppcheck over src/, every
# warning an error. clang-tidy reads the compile commands of a configure-only tree without
# precompiled headers (it cannot read GCC's).
LINT_DIR := build/lint
lint: bootstrap
	@cmake --preset release -B $(LINT_DIR) -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON >/dev/null
	@git ls-files 'src/*.cpp' | xargs -n 1 -P $(JOBS) sh -c \
	    'out=$$(clang-tidy -p $(LINT_DIR) --quiet --warnings-as-errors="*" "$$0" 2>&1); rc=$$?; \
	     printf "%s\n" "$$out" | grep -v "^[0-9]* warnings\? generated\.$$"; exit $$rc'
	@# cppcheck 2.10 does not know coroutines: co_return is read as return, and an awaitable<void>
	@# that just ends is no missing return (GCC's -Wreturn-type checks the other functions).
	@cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c++20 --language=c++ \
	    --enable=warning,performance,portability --library=posix,boost,openssl,sqlite3 \
	    -I src -Dco_return=return --suppress=missingReturn -j $(JOBS) src
	@echo "lint: clang-tidy and cppcheck found nothing in src/"

# The two-minute soak (bench/soak on SQLite and on Redis, 0 errors and flat memory); `bench/soak`
# alone runs the 30-minute one.
soak: build
	@ctest --preset $(PRESET) -C soak -L soak --output-on-failure

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
