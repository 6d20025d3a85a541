# The two commands of the README, and a few helpers. CMake does the building;
# this file installs what is missing, picks the build directories and runs things.
#
#   make test              install, build, run every test, then again under ASan+UBSan,
#                          and the threaded stages' tests under ThreadSanitizer
#   make compare           install (Redis too), build, measure every stage side by side:
#                          results/compare.md (QUICK=1: a shorter smoke run)
#   make pictures          make compare, then its charts and a README.md into docs/reference/
#                          (REFERENCE=DIR elsewhere; QUICK=1 needs another REFERENCE)
#   make run STEP=03       build and start one stage in the foreground (ARGS="--port 0")
#   make diff STEP=03      stage 03's lesson: its code as a diff against stage 02 (README=1:
#                          with the stage READMEs); without STEP, every pair's size and lesson
#   make fuzz              run the fuzzer for FUZZ_SECONDS (default 60)

JOBS    ?= $(shell nproc)
MAKEFLAGS += --no-print-directory
STEP    ?= 10
ARGS    ?=
REFERENCE ?= docs/reference
CMAKE   := cmake --log-level=WARNING
CTEST   := ctest --output-on-failure -j$(JOBS)

.PHONY: all deps build build-asan build-tsan test test-release test-asan test-tsan run diff \
	fuzz compare compare-deps pictures format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release
	@cmake --build build -j$(JOBS)

build-asan: deps
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address
	@cmake --build build-asan -j$(JOBS)

build-tsan: deps
	@$(CMAKE) -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=thread
	@cmake --build build-tsan -j$(JOBS)

test: test-release test-asan test-tsan

test-release: build
	@echo "== tests (release build) =="
	@cd build && $(CTEST)

test-asan: build-asan
	@echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer) =="
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST)

test-tsan: build-tsan
	@echo "== threaded tests (ThreadSanitizer) =="
	@cd build-tsan && TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp:second_deadlock_stack=1 \
		$(CTEST) -L threaded

run: build
	@bin=$$(ls build/bin/step$(STEP)_* 2>/dev/null | head -n 1); \
	if [ -z "$$bin" ]; then echo "no stage $(STEP): try STEP=01 ... 10" >&2; exit 2; fi; \
	exec $$bin $(ARGS)

# No build needed. STEP's default (10) is for run: here only a STEP given counts.
diff:
	@python3 scripts/stage_diff.py $(if $(filter-out 0,$(README)),--readme) \
		$(if $(filter file,$(origin STEP)),,'$(STEP)')

compare: compare-deps
	@PYTHONPATH=$(CURDIR)/scripts python3 -m compare $(if $(QUICK),--quick)

pictures: compare-deps
	@PYTHONPATH=$(CURDIR)/scripts python3 -m compare $(if $(QUICK),--quick) --reference $(REFERENCE)

# what both need: the build, then Redis (its scenario is skipped if it cannot be installed)
compare-deps: build
	@sh scripts/install-deps.sh compare || \
		echo "compare: could not install redis-server: the redis scenario will not run" >&2

fuzz: deps
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) sh scripts/fuzz.sh

format:
	@clang-format -i common/*.[ch] step*/*.[ch] tests/*/*.[ch] fuzz/*.c loadgen/*.[ch] \
		bench_maps/*.[ch]

clean:
	rm -rf build build-asan build-tsan build-fuzz
