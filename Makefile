# zaio: every entry point wraps CMake. See README.md.
BUILD    ?= build
JOBS     ?= 2
# ctest's slots: two a core, as cmake/ZaioTest.cmake weighs the entries (a busy one takes
# two, one that mostly waits takes one)
TEST_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
CMAKE_ARGS ?=

.PHONY: all deps build test test-linux test-sanitize test-tsan test-windows soak bench fuzz clean

all: build

deps:
	@tools/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# Everything: the Linux suites (both backends, interop, negative control), the same
# suites under ASan+UBSan, the ThreadSanitizer stage, and the Windows (IOCP) build under
# wine: its contract suite, and its transport against native libzmq peers and zaio-probe.
# Fails if any test fails.
test: test-linux test-sanitize test-tsan test-windows

test-linux: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(TEST_JOBS)
	@sed -n 's/^/pyzmq: /; /left out of both runs/d; p' $(BUILD)/interop/pyzmq/run/summary.txt 2>/dev/null || true

test-sanitize: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DZAIO_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD)-asan -j$(JOBS)
	ctest --test-dir $(BUILD)-asan --output-on-failure -j$(TEST_JOBS) -LE no-sanitize

# ThreadSanitizer over what is not Criterion's (tools/test-tsan.sh): a stress program,
# the soak and the perf tools, on each Linux backend; any report in zaio fails it
test-tsan: deps
	tools/test-tsan.sh $(abspath $(BUILD)-tsan)

# the interop tests under wine run native programs from the Linux build
test-windows: deps
	tools/test-windows.sh $(abspath $(BUILD)-win) $(abspath $(BUILD))

# The main job: a zaio server under libzmq traffic and every probe mode, with progress,
# a CSV, a PNG plot and a verdict (tools/soak/). About a minute; DURATION=2h for a long
# soak, or PROBES=536534 for a probe count; BACKEND=uring|epoll; SOAK_ARGS for any other
# zaio-soak option (zaio-soak --help). SOAK_ARGS=--compare: the same probes against
# today's zaio, the legacy 0.1.26 build (built here in $(BUILD)-legacy) and libzmq, in one
# plot, 20,000 probes each unless PROBES or DURATION says otherwise.
DURATION  ?= 50s
PROBES    ?=
BACKEND   ?=
SOAK_ARGS ?=
SOAK_OUT  ?= $(BUILD)/soak/soak
SOAK_COMPARE = $(filter --compare,$(SOAK_ARGS))
soak:
	@tools/install-deps.sh linux
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target zaio-soak
	$(if $(SOAK_COMPARE),cmake -S . -B $(BUILD)-legacy -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DZAIO_AIO_LEGACY_0_1_26=ON -DZAIO_BUILD_TESTS=OFF $(CMAKE_ARGS) >/dev/null)
	$(if $(SOAK_COMPARE),cmake --build $(BUILD)-legacy -j$(JOBS) --target zaio-soak)
	@mkdir -p $(dir $(SOAK_OUT))
	$(BUILD)/tools/soak/zaio-soak $(if $(PROBES),--probes $(PROBES),$(if $(SOAK_COMPARE),$(if \
	  $(filter command line,$(origin DURATION)),--duration $(DURATION)),--duration $(DURATION))) \
	  $(if $(BACKEND),--backend $(BACKEND)) -o $(SOAK_OUT) $(SOAK_ARGS)

# zaio against libzmq 4.3.4 and raw loopback, throughput and latency, 8 B ... 1 MiB, over
# tcp, ipc and inproc, on each Linux backend (tools/bench/bench.sh): a table with ratios
# and the issue 14 goals, and $(BUILD)/bench/bench.png. A few minutes; QUICK=1 for a
# short run (one run per case, a tenth of the counts). A benchmark: it never fails on a
# figure. Run it on a quiet machine.
bench:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target zaio-perf libzmq-perf raw-tcp
	tools/bench/bench.sh $(BUILD) $(BUILD)/bench

# The codec's libFuzzer target (clang, its own build dir) for FUZZ_SECONDS; crashes
# land in $(BUILD)/fuzz-build/artifacts/. `make test` runs it for ZAIO_FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz: deps
	tests/fuzz/run_fuzz.sh $(BUILD)/fuzz-build $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-legacy $(BUILD)-win
