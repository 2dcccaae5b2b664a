# The demo clustered mail service and its service packs (included by the
# top Makefile). `make demo-build` assembles two self-contained,
# relocatable runtime directories: build/demo (the one the lab installs)
# and build/demo-asan (the same with the C programs built under
# AddressSanitizer and UndefinedBehaviorSanitizer, for tests/run-demo).
#
#   maild-1 maild-2 maild-3   the daemon, one source built per version
#   smtp-send                 SMTP client: tests, probes, load
#   stamp                     prints the instant on CLOCK_MONOTONIC and UTC
#   ocf/maild                 the OCF resource agent (ocf:clupdate:maild)
#   setup-node                installs a version into /opt/clupdate-mail
#   sp2/ sp3/ sp2d/           service packs: manifest, install, verify,
#                             rollback, the demo's hooks and health gate,
#                             and their payload (maild, stamp), each
#                             complete; sp2d is sp2 with a down-migration
#                             of the store (down-migrate); the rollback
#                             takes the previous maild-N here

DEMO_CFLAGS  = -D_GNU_SOURCE $(WARN) $(CFLAGS)
DEMO_LIB_SRC := demo/common.c demo/store.c
DEMO_HDR     := demo/common.h demo/store.h

# Copied verbatim from demo/ (scripts keep their mode).
DEMO_COPIED := README.md ocf/maild setup-node sim/lab.ini \
	sp2/sp2.conf sp2/sp2-two-groups.conf sp2/sp2-waves.conf sp2/install \
	sp3/sp3.conf sp3/sp3-two-groups.conf sp3/sp3-gates.conf sp3/install \
	sp2d/sp2d.conf sp2d/down-migrate
# Each service pack also carries the shared installer, verify, its payload.
DEMO_SP_FILES := sp-install.sh verify rollback check-delivered hook-log check-health \
	fail-once maild stamp
DEMO_FILES := maild-1 maild-2 maild-3 smtp-send stamp $(DEMO_COPIED) \
	$(addprefix sp2/,$(DEMO_SP_FILES)) $(addprefix sp3/,$(DEMO_SP_FILES)) \
	$(addprefix sp2d/,$(DEMO_SP_FILES) install)

# One runtime directory: $(1) is where, $(2) the extra compiler flags.
define demo_variant
$(1)/maild-%: demo/maild.c $(DEMO_LIB_SRC) $(DEMO_HDR)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(DEMO_CFLAGS) $(2) -DMAILD_VERSION=$$* $$(LDFLAGS) -o $$@ demo/maild.c $(DEMO_LIB_SRC)

$(1)/smtp-send: demo/smtp-send.c demo/common.c demo/common.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(DEMO_CFLAGS) $(2) $$(LDFLAGS) -o $$@ demo/smtp-send.c demo/common.c

$(1)/stamp: demo/stamp.c demo/common.c demo/common.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(DEMO_CFLAGS) $(2) $$(LDFLAGS) -o $$@ demo/stamp.c demo/common.c

$(addprefix $(1)/,$(DEMO_COPIED)): $(1)/%: demo/%
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

# The scripts every service pack carries (the more specific rules for
# maild and stamp below win: their stem is shorter).
$(1)/sp2/%: demo/sp-common/%
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

$(1)/sp3/%: demo/sp-common/%
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

$(1)/sp2d/%: demo/sp-common/%
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

# sp2d is sp2 with a down-migration: sp2's installer and maild.
$(1)/sp2d/install: demo/sp2/install
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

$(1)/sp2d/maild: $(1)/maild-2
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

$(1)/sp%/maild: $(1)/maild-%
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@

$(1)/sp%/stamp: $(1)/stamp
	@mkdir -p $$(dir $$@)
	cp -p $$< $$@
endef

$(eval $(call demo_variant,build/demo,))
$(eval $(call demo_variant,build/demo-asan,$(SANITIZE)))

.PHONY: demo-build
demo-build: $(addprefix build/demo/,$(DEMO_FILES)) \
	$(addprefix build/demo-asan/,$(DEMO_FILES))
