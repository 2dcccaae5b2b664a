# clupdate build.
#
# `make` builds build/clupdate (and the demo service under build/demo);
# `make check` installs missing Debian packages, then runs every test:
# unit and CLI tests twice (plain and under ASan/UBSan), the fuzz targets'
# corpora and crash reproducers, then the lab tests against a real
# Pacemaker cluster. `make demo` is the main job end to end. `make fuzz`
# and `make fuzz-long` fuzz the parsers (tests/fuzz/README.md).
# Sources are found by wildcard: a new lib/*.c, src/*.c,
# tests/unit/test-*.c or tests/fuzz/fuzz-*.c needs no edit here.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# Pacemaker runs fence agents from /usr/sbin only. The Debian package puts
# the lab's there (FENCEDIR=/usr/sbin) and owns it; any other install
# leaves it with the lab, which copies it to /usr/sbin for a
# `--fencing lab` lab and removes it with the last lab.
FENCEDIR   ?= $(LIBEXECDIR)/clupdate/lab
DESTDIR    ?=

CC      ?= cc
AR      ?= ar
CFLAGS  ?= -O2 -g
PKGS    := libxml-2.0 sqlite3 json-c glib-2.0
WARN    := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
ALL_CPPFLAGS = -Iinclude -Ilib -Ibuild -D_GNU_SOURCE -DCLU_VERSION='"$(VERSION)"' $(CPPFLAGS)

LIB_SRC  := $(sort $(wildcard lib/*.c))
CLI_SRC  := $(sort $(wildcard src/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
UNIT_NAMES := $(UNIT_SRC:tests/unit/%.c=%)

# One build variant: $(1) is its directory, $(2) its extra compiler flags.
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CPPFLAGS) $$(PKG_CFLAGS) $$(WARN) $$(CFLAGS) $(2) -MMD -MP -c $$< -o $$@

$(1)/libclupdate.a: $$(LIB_SRC:%.c=$(1)/obj/%.o)
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $$(AR) rcs $$@ $$^

$(1)/clupdate: $$(CLI_SRC:%.c=$(1)/obj/%.o) $(1)/libclupdate.a
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)

$(1)/tests/test-%: $(1)/obj/tests/unit/test-%.o $(1)/libclupdate.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) -lcmocka

-include $$(wildcard $(1)/obj/*/*.d $(1)/obj/tests/*/*.d)
endef

# Where `make install` puts the lab and the demo, compiled into the program:
# rewritten only when it changes, so a new PREFIX rebuilds what uses it.
build/paths.h: FORCE
	@mkdir -p build
	@printf '#define CLU_LIBEXECDIR "%s"\n' '$(LIBEXECDIR)/clupdate' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE
build/obj/src/cmd-lab.o build/asan/obj/src/cmd-lab.o: build/paths.h

$(eval $(call variant,build,))
$(eval $(call variant,build/asan,$(SANITIZE)))

# ---- fuzzing (tests/fuzz/README.md) ----------------------------------------
# Each tests/fuzz/fuzz-NAME.c is a target, linked three ways:
#   build/fuzz/fuzz-NAME          libFuzzer, clang, ASan+UBSan    (make fuzz)
#   build/asan/fuzz/replay-NAME   saved inputs, gcc, ASan+UBSan   (make check)
#   build/cov/fuzz/replay-NAME    saved inputs, clang, source coverage
#                                                                 (make fuzz-long)
# `make check` replays with gcc so that it needs nothing more than the
# other tests do.
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz-%.c,%,$(sort $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_MINUTES ?= 10
FUZZ_CC      := clang
COVERAGE     := -fprofile-instr-generate -fcoverage-mapping

build/fuzz/% build/cov/%: CC := $(FUZZ_CC)
$(eval $(call variant,build/fuzz,-fsanitize=fuzzer-no-link $(SANITIZE)))
$(eval $(call variant,build/cov,$(COVERAGE)))

build/fuzz/fuzz-%: build/fuzz/obj/tests/fuzz/fuzz-%.o build/fuzz/obj/tests/fuzz/input-file.o \
		   build/fuzz/libclupdate.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(SANITIZE) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# $(1): the variant's directory, $(2) its flags.
define fuzz_replay
$(1)/fuzz/replay-%: $(1)/obj/tests/fuzz/fuzz-%.o $(1)/obj/tests/fuzz/input-file.o \
		    $(1)/obj/tests/fuzz/replay.o $(1)/libclupdate.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(eval $(call fuzz_replay,build/asan,$(SANITIZE)))
$(eval $(call fuzz_replay,build/cov,$(COVERAGE)))

fuzz-replay := $(FUZZ_NAMES:%=build/asan/fuzz/replay-%)
# Kept, not deleted as intermediates: a relink compiles nothing again.
.SECONDARY: $(foreach v,build/fuzz build/asan build/cov,\
		$(patsubst %.c,$(v)/obj/%.o,$(wildcard tests/fuzz/*.c)))

.PHONY: all deps check check-unit check-cli check-fuzz check-lab check-faults demo install \
	clean lint fuzz fuzz-deps fuzz-long man deb check-deb
.DEFAULT_GOAL := all

all: build/clupdate demo-build man

# The man pages, each generated from its one source (scripts/make-man).
man: build/man/.made
build/man/.made: build/clupdate doc/clupdate.1.in doc/manifest.md doc/static-cluster.md \
		 scripts/make-man scripts/md2man
	scripts/make-man build/clupdate build/man
	@touch $@

# The demo mail service and its service packs (demo/demo.mk defines demo-build).
include demo/demo.mk

deps:
	@scripts/install-deps

unit-binaries := $(UNIT_NAMES:%=build/tests/%) $(UNIT_NAMES:%=build/asan/tests/%)

check-unit: deps $(unit-binaries)
	@tests/run-unit $(unit-binaries)

check-cli: deps build/clupdate build/asan/clupdate build/tests/test-report build/asan/tests/test-report
	@tests/run-cli build/clupdate build/asan/clupdate

check-fuzz: deps $(fuzz-replay)
	@tests/fuzz/run-replay

check-lab: deps all
	@tests/run-lab build/clupdate

# The fault trials on the lab alone (tests/faults: a node killed in every
# phase; SIGKILL at random instants then resume); check runs them last.
check-faults: deps all
	@tests/run-lab build/clupdate faults

# Every group runs even when an earlier one fails; the summary says which.
check: deps
	@$(MAKE) --no-print-directory all build/asan/clupdate $(unit-binaries) $(fuzz-replay)
	@tests/run-suite

fuzz-deps: deps
	@scripts/install-deps fuzz

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=build/fuzz/fuzz-%)

# Each target for FUZZ_MINUTES, one after another; FUZZ_MERGE=1 keeps what
# they found in the committed corpora.
fuzz-long: fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build/cov/fuzz/replay-%)
	@FUZZ_MINUTES=$(FUZZ_MINUTES) tests/fuzz/run-long $(FUZZ_TARGETS)

demo: deps all
	@scripts/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/clupdate/lab \
		$(DESTDIR)$(LIBEXECDIR)/clupdate/demo $(DESTDIR)$(FENCEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 build/clupdate $(DESTDIR)$(BINDIR)/clupdate
	cp -R lab/. $(DESTDIR)$(LIBEXECDIR)/clupdate/lab
	[ $(FENCEDIR) = $(LIBEXECDIR)/clupdate/lab ] || \
		mv $(DESTDIR)$(LIBEXECDIR)/clupdate/lab/fence_clupdate_lab $(DESTDIR)$(FENCEDIR)/
	cp -R build/demo/. $(DESTDIR)$(LIBEXECDIR)/clupdate/demo
	install -m 0644 build/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 build/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/clupdate $(DESTDIR)$(COMPLETIONDIR)/clupdate

# The Debian package, into build/deb (scripts/make-deb); check-deb installs
# it on this machine, tries it and purges it (tests/pkg; root).
deb:
	@scripts/install-deps deb
	@scripts/make-deb

check-deb: deb
	@tests/run-pkg build/deb/clupdate_*.deb

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D_GNU_SOURCE -Iinclude -Ilib -Ibuild \
		$(shell pkg-config --cflags-only-I json-c glib-2.0) lib src

clean:
	rm -rf build
