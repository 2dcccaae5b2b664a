# lab/replica/replica-cib, the reader behind `clupdate lab up --from-cib`
# (no root, no cluster: it only reads a CIB and writes files). On the saved
# 5-node CIB: the summary (lab addresses, stand-ins with the exec-times of
# the status section, the groups' services, the dropped stonith devices)
# and the replica's manifest, against golden files; the replica's CIB has
# no status, no stonith device and no constraint naming one. Without a
# status section the stand-ins take their agents' typical times. Every CIB
# it cannot replicate is refused with one line naming the element, and
# writes nothing.
source "$SRCDIR/tests/lib/cli.sh"
rcib=$SRCDIR/lab/replica/replica-cib
cib=$FIXTURES/cib/replica-5node.xml

"$rcib" "$cib" out --subnet 10.77.9 --lab t0050 || fail "replica-cib refused the fixture"
golden lab-replica-summary.txt out/summary
golden lab-replica-manifest.conf out/replica.conf
[[ $(tr '\n' ' ' <out/nodes) == "db-01 db-02 app-01 app-02 app-03 " ]] || fail "nodes: $(cat out/nodes)"
grep -q '<status */>' out/seed-cib.xml || fail "the status section is kept"
grep -q 'class="stonith"\|fence-' out/seed-cib.xml && fail "a stonith device or its constraint is kept"
grep -q 'password\|pgdata' out/seed-cib.xml && fail "the real agents' parameters are kept"
# clupdate plans the replica's manifest (here on a static description of
# the replica's cluster): in place, an interruption per group.
cat >replica.ini <<'INI'
[cluster]
name = prod-eu1
[node "db-01"]
version = 1
[node "db-02"]
version = 1
[node "app-01"]
version = 1
[node "app-02"]
version = 1
[node "app-03"]
version = 1
[group "grp-db"]
members = vip-db fs-db pgsql-db
owner = db-01
address = 10.77.9.100
[group "grp-web"]
members = vip-web nginx-web
owner = app-01
address = 10.77.9.101
INI
"$CLUPDATE" plan out/replica.conf --cluster static:replica.ini --output-as json >plan.json 2>plan.err ||
	fail "clupdate cannot plan the replica's manifest: $(cat plan.err)"
[[ $(jq -c '.plan | [.strategy, .interruptions["grp-db"].count, .interruptions["grp-web"].count]' plan.json) == \
	'["in-place",1,1]' ]] || fail "plan: $(jq -c '.plan | del(.steps)' plan.json)"

# With --fencing lab, the lab's device, mapping the names to n1..n5.
"$rcib" "$cib" fenced --subnet 10.77.9 --fencing lab --spool /x/fence || fail "--fencing lab refused"
grep -q 'name="pcmk_host_map" value="db-01:n1;db-02:n2;app-01:n3;app-02:n4;app-03:n5"' fenced/seed-cib.xml ||
	fail "no pcmk_host_map for the lab's fence device"

# No status section: typical times.
python3 - "$cib" nostatus.xml <<'PY'
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]); r = t.getroot(); r.remove(r.find("status")); t.write(sys.argv[2])
PY
"$rcib" nostatus.xml plain --subnet 10.77.9 || fail "a CIB without status refused"
grep -qx 'stand-in pgsql-db: ocf:heartbeat:pgsql, start 4000 ms (typical), stop 2000 ms (typical)' plain/summary ||
	fail "pgsql-db's typical times: $(cat plain/summary)"

# refused NAME MESSAGE SED: the fixture edited by SED is refused with MESSAGE.
refused() {
	local name=$1 message=$2 edit=$3
	sed "$edit" "$cib" >"$name.xml"
	if "$rcib" "$name.xml" "$name.out" --subnet 10.77.9 2>"$name.err"; then
		fail "$name: accepted"
	fi
	grep -qF "$message" "$name.err" || fail "$name: '$(cat "$name.err")' does not say '$message'"
	[[ $(wc -l <"$name.err") == 1 ]] || fail "$name: more than one line: $(cat "$name.err")"
	[[ ! -e $name.out ]] || fail "$name: wrote $name.out"
}
refused promotable "promotable clone 'node-exporter-clone'" \
	's|name="interleave" value="true"/>|&<nvpair id="p" name="promotable" value="true"/>|'
refused master "promotable clone 'ms-db' (master)" 's|<clone id="node-exporter-clone">|<master id="ms-db"/>&|'
refused bundle "bundle 'b1'" 's|<clone id="node-exporter-clone">|<bundle id="b1"/>&|'
refused template "resource template 't1'" 's|<clone id="node-exporter-clone">|<template id="t1" class="ocf" provider="heartbeat" type="Dummy"/>&|'
refused ticket "ticket constraint 'tk'" 's|</constraints>|<rsc_ticket id="tk" rsc="grp-db" ticket="t"/>&|'
refused remote "node 'app-03' is a remote node" 's|<node id="5" uname="app-03">|<node id="5" uname="app-03" type="remote">|'
refused bad-name "node name 'db 02' is not one" 's|uname="db-02"|uname="db 02"|'
refused stonith-in-group "stonith device 'f9' inside 'grp-web'" \
	's|<primitive id="nginx-web"|<primitive id="f9" class="stonith" type="fence_ipmilan"/>&|'
refused one-node "1 nodes: the lab runs 2 to 16" '/<node id="[2-5]"/,/<\/node>/d'
refused not-a-cib "not a CIB" 's|<configuration>|<config>|; s|</configuration>|</config>|'
refused unreadable "cannot read" 's|<cib |<cib<|'
