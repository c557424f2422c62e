# librel: build, install, demo and test. See README.md.
SHELL := /bin/bash
PREFIX ?= $(CURDIR)/prefix
CARGO ?= cargo
CC ?= cc
# The installed library and archive lose their debug info (5 MB -> 0.45 MB
# for librel.so.1); `make install STRIP=` keeps it, for profiling.
STRIP ?= strip
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
LIB := $(TARGET_DIR)/release/librel.so
STATIC := $(TARGET_DIR)/release/librel.a
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
TEST_PREFIX := $(CURDIR)/build/test-prefix
SONAME := librel.so.1
# Names programs and binaries look for in the drop-in layout.
DROPIN_LIBS := libevent libevent_core libevent_extra libevent_pthreads

.PHONY: all deps-demo deps-test install install-rel demo test test-rust test-c test-misuse test-programs test-fuzz test-tsan test-python check-headers check-symbols bench clean

all:
	$(CARGO) build --release

# Side-by-side layout: only rel-named files (include/rel, librel.*, rel.pc).
install-rel: all
	install -d $(PREFIX)/include/rel/event2 $(PREFIX)/lib/pkgconfig
	install -m 644 include/*.h $(PREFIX)/include/rel/
	install -m 644 include/event2/*.h $(PREFIX)/include/rel/event2/
	install -m 755 $(LIB) $(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(PREFIX)/lib/librel.so
	install -m 644 $(STATIC) $(PREFIX)/lib/librel.a
	$(if $(STRIP),$(STRIP) --strip-unneeded $(PREFIX)/lib/$(SONAME) && $(STRIP) --strip-debug $(PREFIX)/lib/librel.a)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' \
	    pkgconfig/rel.pc.in > $(PREFIX)/lib/pkgconfig/rel.pc
	@echo "installed $(PREFIX)/lib/$(SONAME): $$(numfmt --to=iec-i --suffix=B $$(stat -c %s $(PREFIX)/lib/$(SONAME))) $(if $(STRIP),(stripped),(with debug info))"

# Drop-in layout: the side-by-side files plus libevent's names (headers in
# include/, libevent*.so/.a, Debian sonames, libevent*.pc). Shadows a system
# libevent for anything that searches this prefix first.
install: install-rel
	install -d $(PREFIX)/include/event2
	install -m 644 include/*.h $(PREFIX)/include/
	install -m 644 include/event2/*.h $(PREFIX)/include/event2/
	for n in $(DROPIN_LIBS); do \
	    ln -sf $(SONAME) $(PREFIX)/lib/$$n.so; \
	    ln -sf $(SONAME) $(PREFIX)/lib/$$n-2.1.so.7; \
	    ln -sf librel.a $(PREFIX)/lib/$$n.a; \
	    lib=$${n#lib}; req=; [ $$n = libevent_pthreads ] && req=libevent_core; \
	    sed -e 's|@PREFIX@|$(PREFIX)|' -e "s|@NAME@|$$n|" -e "s|@LIB@|$$lib|" \
	        -e "s|@REQUIRES@|$$req|" -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' \
	        pkgconfig/libevent.pc.in > $(PREFIX)/lib/pkgconfig/$$n.pc; \
	done

# What a fresh machine lacks: installed as root, else named (scripts/deps).
deps-demo deps-test:
	@scripts/deps $(@:deps-%=%)

demo: deps-demo install
	@mkdir -p build
	$(CC) -Wall -Wextra -o build/demo examples/demo.c \
	    $$(PKG_CONFIG_PATH=$(PREFIX)/lib/pkgconfig pkg-config --cflags --libs libevent) \
	    -Wl,-rpath,$(PREFIX)/lib
	./build/demo

# Every test; the last line sums them up ("N passed, N failed").
SUITES := test-rust check-headers check-symbols test-c test-misuse test-programs test-fuzz test-python
test: deps-test
	@mkdir -p build && rm -f build/suite-*.log
	@for s in $(SUITES); do \
	    $(MAKE) --no-print-directory $$s 2>&1 | tee build/suite-$$s.log; \
	    echo "suite $$s exit $${PIPESTATUS[0]}" >> build/suite-$$s.log; \
	done
	@scripts/summarize-tests $(addprefix build/suite-,$(addsuffix .log,$(SUITES)))

test-rust:
	$(CARGO) test --workspace --release

# The committed headers must be what build.rs generates now.
check-headers: all
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	    if git diff --quiet -- include; then echo "headers: 1 passed, 0 failed"; \
	    else git diff --stat -- include; echo "headers: 0 passed, 1 failed (include/ is stale: commit the regenerated headers)"; fi; \
	else echo "headers: not a git checkout, skipped"; fi

# Every public symbol of the system's libevent_core/libevent_pthreads 2.1
# must be exported by the installed librel.
check-symbols:
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	scripts/check-symbols $(TEST_PREFIX)

# Differential C tests on every backend, plus memcheck runs and
# ASan/UBSan/LSan builds (epoll) where the tools are there.
test-c:
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	VALGRIND=$$(command -v valgrind >/dev/null && echo 1 || echo 0) \
	SANITIZE=$$(echo 'int main(void){return 0;}' | $(CC) -fsanitize=address,undefined -x c - -o /dev/null 2>/dev/null && echo 1 || echo 0) \
	    ctests/run $(TEST_PREFIX)

# Bad input, fork, threads and limits: librel must refuse cleanly and survive.
test-misuse:
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	ctests/misuse/run $(TEST_PREFIX)

# Debian's own memcached, tmux, unbound, nsd and pgbouncer on librel through
# LD_LIBRARY_PATH alone (programs/README.md); PROGRAMS_ARGS="--skip tmux"
# leaves one out.
test-programs:
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	programs/run $(PROGRAMS_ARGS) $(TEST_PREFIX)

# The API model under libFuzzer for a fixed budget (nightly + cargo-fuzz),
# or under valgrind where those are missing (fuzz/run says which).
test-fuzz:
	@mkdir -p build
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} fuzz/run

# The locking under ThreadSanitizer: Rust and C thread tests against a
# -Zsanitizer=thread build (nightly with rust-src; scripts/tsan says why).
test-tsan:
	scripts/tsan

# Twice: on librel (its hosted loop), then on Debian's libevent, which takes
# rel's fallback path (one ctypes trampoline per base).
test-python:
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	cd python && REL_LIBRARY=$(TEST_PREFIX)/lib/$(SONAME) python3 -m pytest -q tests
	@lib=$$(pkg-config --variable=libdir libevent 2>/dev/null)/libevent-2.1.so.7; \
	if [ -f "$$lib" ]; then cd python && REL_LIBRARY=$$lib python3 -m pytest -q tests; \
	else echo "no system libevent 2.1: rel's ctypes fallback is not tested"; fi

bench:
	bench/run

clean:
	$(CARGO) clean
	rm -rf build prefix
