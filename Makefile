# clupdate build.
#
# `make` builds build/clupdate (and the demo service under build/demo);
# `make check` installs missing Debian packages, then runs every test:
# unit and CLI tests twice (plain and under ASan/UBSan), then the lab tests
# against a real Pacemaker cluster. `make demo` is the main job end to end.
# Sources are found by wildcard: a new lib/*.c, src/*.c or
# tests/unit/test-*.c needs no edit here.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=

CC      ?= cc
AR      ?= ar
CFLAGS  ?= -O2 -g
PKGS    := libxml-2.0 sqlite3 json-c
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
	$$(AR) rcs $$@ $$^

$(1)/clupdate: $$(CLI_SRC:%.c=$(1)/obj/%.o) $(1)/libclupdate.a
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)

$(1)/tests/test-%: $(1)/obj/tests/unit/test-%.o $(1)/libclupdate.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) -lcmocka

-include $$(wildcard $(1)/obj/*/*.d $(1)/obj/tests/unit/*.d)
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

.PHONY: all deps check check-unit check-cli check-lab demo install clean lint
.DEFAULT_GOAL := all

all: build/clupdate demo-build

# The demo mail service and its service packs (demo/demo.mk defines demo-build).
include demo/demo.mk

deps:
	@scripts/install-deps

unit-binaries := $(UNIT_NAMES:%=build/tests/%) $(UNIT_NAMES:%=build/asan/tests/%)

check-unit: deps $(unit-binaries)
	@tests/run-unit $(unit-binaries)

check-cli: deps build/clupdate build/asan/clupdate build/tests/test-report build/asan/tests/test-report
	@tests/run-cli build/clupdate build/asan/clupdate

check-lab: deps all
	@tests/run-lab build/clupdate

# Every group runs even when an earlier one fails; the summary says which.
check: deps
	@$(MAKE) --no-print-directory all build/asan/clupdate $(unit-binaries)
	@tests/run-suite

demo: deps all
	@scripts/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/clupdate $(DESTDIR)$(MANDIR)/man1
	install -m 0755 build/clupdate $(DESTDIR)$(BINDIR)/clupdate
	cp -R lab $(DESTDIR)$(LIBEXECDIR)/clupdate/lab
	cp -R build/demo $(DESTDIR)$(LIBEXECDIR)/clupdate/demo
	install -m 0644 doc/clupdate.1 $(DESTDIR)$(MANDIR)/man1/clupdate.1

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D_GNU_SOURCE -Iinclude -Ilib -Ibuild \
		$(shell pkg-config --cflags-only-I json-c) lib src

clean:
	rm -rf build
