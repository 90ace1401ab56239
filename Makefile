# SPDX-License-Identifier: MIT
# Thin wrapper over CMake: make demo | test | bench | install | uninstall | deps | clean.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
PREFIX ?= /usr/local
# `cmake --build` runs make again below this one, and every sub-make would
# print "Entering directory" lines: the flag reaches them through MAKEFLAGS.
MAKEFLAGS += --no-print-directory
# make install DESTDIR=/staging: cmake --install reads it from the environment.
export DESTDIR

.PHONY: all build test demo bench bench-smoke install uninstall deps clean check-loop torture

all: build

# Installs the tools the tests and the report use (scripts/deps.sh says
# what and why first); COORD_NO_DEPS=1 skips it.
deps:
	@bash scripts/deps.sh

build:
	@cmake -S . -B "$(BUILD)" $(CMAKE_FLAGS) >/dev/null
	@cmake --build "$(BUILD)" -j $(JOBS)

test: deps build
	@cd "$(BUILD)" && ctest --output-on-failure -j 2 $(CTEST_FLAGS)

demo: deps build
	@bash scripts/demo.sh "$(BUILD)"

bench: build
	"$(BUILD)/coord_bench" all --seconds 30

bench-smoke: build
	"$(BUILD)/coord_bench" all --seconds 1

# PREFIX and BUILD may hold spaces; a relative PREFIX is relative to this
# directory. As root into a system library directory this also runs ldconfig
# (cmake/ldconfig.cmake); BUILD/install_manifest.txt records every file.
install: build
	@cmake --install "$(BUILD)" --prefix "$(PREFIX)"

# Removes exactly the files of the last install from this build tree.
uninstall:
	@cmake --build "$(BUILD)" --target uninstall

# Hunts races: runs the whole suite again and again until it fails.
check-loop: build
	cd "$(BUILD)" && for i in $$(seq 1 $${N:-20}); do \
	  ctest -j 2 --output-on-failure $(CTEST_FLAGS) || exit 1; done

# The torture suite (tests/torture/): SIGKILLs into a pool and a queue,
# abuse of a manager, then streaming manager clients SIGKILLed while they
# take turns; prints its counts as a closing table. TORTURE=short
# for the CI length (about a minute on 2 cores).
torture: build
	cd "$(BUILD)" && COORD_TORTURE=$${TORTURE:-full} ctest -L torture --output-on-failure -V

clean:
	rm -rf "$(BUILD)"
