#!/bin/bash
# setup-node installs a version into the node-private prefix (and, asked,
# the resource agent), refuses versions it does not have, and works from a
# copy of the runtime directory elsewhere (relocatable). stamp prints both
# clocks.
source "$(dirname "$0")/lib.sh"

export MAIL_PREFIX=$WORK/opt
for v in 1 2 3; do
	"$DEMO_DIR/setup-node" "$v" >out || fail "setup-node $v: $(cat out)"
	[[ $(<"$MAIL_PREFIX/VERSION") == "$v" && $("$MAIL_PREFIX/bin/maild" --version) == "$v" ]] ||
		fail "version $v not installed"
done
rc=0; "$DEMO_DIR/setup-node" 4 2>err || rc=$?
((rc == 1)) && grep -q "no maild version 4" err || fail "setup-node 4: exit $rc, $(cat err)"
rc=0; "$DEMO_DIR/setup-node" 2>err || rc=$?
((rc == 2)) || fail "setup-node without a version: exit $rc"

OCF_ROOT=$WORK/ocf "$DEMO_DIR/setup-node" --prefix "$WORK/other" --agent 2 >out ||
	fail "setup-node --agent: $(cat out)"
[[ -x $WORK/ocf/resource.d/clupdate/maild && $(<"$WORK/other/VERSION") == 2 ]] ||
	fail "--prefix/--agent did not install"
cmp "$WORK/ocf/resource.d/clupdate/maild" "$DEMO_DIR/ocf/maild" || fail "agent differs"

# Relocatable: a copy elsewhere finds its own files.
cp -a "$DEMO_DIR" copy
MAIL_PREFIX=$WORK/reloc copy/setup-node 3 >/dev/null || fail "relocated setup-node"
[[ $(<"$WORK/reloc/VERSION") == 3 ]] || fail "relocated setup-node installed nothing"
out=$(MAIL_PREFIX=$WORK/reloc copy/sp3/verify) || fail "relocated verify failed"
[[ ${out%%$'\n'*} == 3 ]] || fail "relocated verify printed: $out"

line=$("$DEMO_DIR/stamp")
[[ $line =~ ^mono_ms=([0-9]+)\ real=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] ||
	fail "stamp printed '$line'"
uptime_ms=$(awk '{printf "%d", $1 * 1000}' /proc/uptime)
# CLOCK_MONOTONIC lags uptime (CLOCK_BOOTTIME) only by time spent suspended.
((BASH_REMATCH[1] <= uptime_ms + 1000)) || fail "mono_ms ${BASH_REMATCH[1]} ahead of uptime $uptime_ms"
