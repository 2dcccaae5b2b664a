# Issue 14, "rehearsal on a replica": `clupdate lab up --from-cib FILE`
# builds a lab that copies a saved CIB of an operator's 5-node cluster
# (tests/fixtures/cib/replica-5node.xml: two groups, a colocation and an
# order between them, location preferences and a rule on a node attribute,
# a clone, node attributes, five stonith devices), and an update runs on it:
#  A. a CIB the replica cannot copy (a promotable clone) is refused, naming
#     the resource, before any lab is made;
#  B. the replica: its nodes by their own names, the same node attributes,
#     groups, clone, operations, constraints and defaults as the saved CIB
#     (both normalised the same way), stonith devices replaced by the lab's,
#     every agent but IPaddr2 a stand-in; the groups where the CIB's
#     preferences put them;
#  C. `plan` of the replica's manifest names the operator's nodes and
#     predicts an interruption per group; `apply` (under a TCP probe on each
#     group's stand-in service: the demo's "0 lost" rule needs an SMTP
#     service with a delivery check, which a stand-in is not) succeeds, and
#     the report measures one outage per group, on its owner's install;
#  D. `lab reset` puts the replica back at version 1, and a rolling update
#     runs on it: one outage per group, on its move;
#  E. `lab down` removes it.
source "$SRCDIR/tests/lib/lab.sh"
fixture=$SRCDIR/tests/fixtures/cib/replica-5node.xml
LAB=t1700-$$
state=$WORK/state
unames=(db-01 db-02 app-01 app-02 app-03)

# --- A. refused before anything is made -------------------------------------
sed 's|<clone id="node-exporter-clone">|<clone id="ms-pg">\n<meta_attributes id="ms-pg-m"><nvpair id="ms-pg-p" name="promotable" value="true"/></meta_attributes></clone>\n&|' \
	"$fixture" >"$WORK/promotable.xml"
if "$CLUPDATE" lab up --name "$LAB" --from-cib "$WORK/promotable.xml" >"$WORK/refused.out" 2>&1; then
	"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1
	fail "a CIB with a promotable clone was accepted"
fi
grep -q "promotable clone 'ms-pg'" "$WORK/refused.out" || fail "the refusal does not name ms-pg: $(cat "$WORK/refused.out")"
[[ ! -e $LAB_ROOT/$LAB ]] || fail "a refused replica left $LAB_ROOT/$LAB"
"$CLUPDATE" lab up --name "$LAB" --nodes 5 --from-cib "$fixture" >"$WORK/refused.out" 2>&1 &&
	fail "--nodes was accepted with --from-cib"

# --- B. the replica ---------------------------------------------------------
"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1 || true
trap 'lab_stop' EXIT
"$CLUPDATE" lab up --name "$LAB" --from-cib "$fixture" --fencing lab >"$WORK/lab-up.log" 2>&1 ||
	{ cat "$WORK/lab-up.log" >&2; fail "cannot bring up a replica of $fixture"; }
manifest=$LAB_ROOT/$LAB/replica/replica.conf
grep -q "^replica manifest: $manifest\$" "$WORK/lab-up.log" || fail "up does not point to the manifest"
[[ -f $manifest ]] || fail "no manifest $manifest"

# The facts of a CIB that decide where resources run and how they move,
# one a line, sorted; ids of rules and nvpairs and everything about
# stonith devices left out (the replica drops them), agents and instance
# attributes too (the replica replaces them: checked below).
facts() {
	python3 - "$1" <<-'EOF'
		import sys, xml.etree.ElementTree as ET
		conf = ET.parse(sys.argv[1]).getroot().find("configuration")
		stonith = {p.get("id") for p in conf.iter("primitive") if p.get("class") == "stonith"}
		out = []
		def pairs(e):
		    return ",".join(f"{n.get('name')}={n.get('value')}" for n in e.iter("nvpair"))
		for n in conf.find("nodes"):
		    for ia in n.findall("instance_attributes"):
		        for nv in ia.findall("nvpair"):
		            if nv.get("name") != "clupdate-replica-version":
		                out.append(f"node {n.get('uname')} {nv.get('name')}={nv.get('value')}")
		for name in ("no-quorum-policy", "start-failure-is-fatal", "symmetric-cluster"):
		    for nv in conf.find("crm_config").iter("nvpair"):
		        if nv.get("name") == name:
		            out.append(f"option {name}={nv.get('value')}")
		def walk(e, parent):
		    for c in e:
		        if c.tag in ("primitive", "group", "clone") and c.get("id") not in stonith:
		            out.append(f"{c.tag} {c.get('id')} in {parent}")
		            for ma in c.findall("meta_attributes"):
		                out.append(f"meta {c.get('id')} {pairs(ma)}")
		            for op in c.iter("op"):
		                out.append(f"op {c.get('id')} " + " ".join(
		                    f"{k}={op.get(k)}" for k in ("name", "interval", "timeout", "on-fail") if op.get(k)))
		            walk(c, c.get("id"))
		walk(conf.find("resources"), "-")
		for c in conf.find("constraints"):
		    refs = {c.get(a) for a in ("rsc", "with-rsc", "first", "then")}
		    if refs & stonith:
		        continue
		    attrs = " ".join(f"{k}={v}" for k, v in sorted(c.attrib.items()))
		    rules = " ".join(f"[{r.get('score')} {r.get('boolean-op')}: " + " ".join(
		        f"{x.get('attribute')} {x.get('operation')} {x.get('value')}" for x in r.iter("expression")) + "]"
		        for r in c.iter("rule"))
		    out.append(f"{c.tag} {attrs} {rules}".rstrip())
		for tag in ("rsc_defaults", "op_defaults"):
		    for e in conf.findall(tag):
		        out.append(f"{tag} {pairs(e)}")
		print("\n".join(sorted(out)))
	EOF
}
on n1 cibadmin --query >"$WORK/replica-cib.xml" || fail "cibadmin --query on the replica failed"
facts "$fixture" >"$WORK/facts.saved"
facts "$WORK/replica-cib.xml" >"$WORK/facts.replica"
grep -q '^rsc_colocation .*rsc=grp-web .*with-rsc=grp-db' "$WORK/facts.saved" || fail "the fixture lost its colocation"
diff "$WORK/facts.saved" "$WORK/facts.replica" >"$WORK/facts.diff" ||
	fail "the replica's configuration differs from the saved CIB's: $(cat "$WORK/facts.diff")"
note "replica has the saved CIB's $(wc -l <"$WORK/facts.saved") facts (nodes, attributes, resources, constraints)"

# Agents: IPaddr2 kept (on a lab address), the rest stand-ins naming the
# real agent, no stonith device but the lab's.
agents=$(xmllint --xpath '//resources//primitive' "$WORK/replica-cib.xml" | grep -o '<primitive [^>]*>')
grep -c 'type="standin"' <<<"$agents" | grep -qx 4 || fail "not 4 stand-ins: $agents"
grep -c 'type="IPaddr2"' <<<"$agents" | grep -qx 2 || fail "not 2 IPaddr2: $agents"
[[ $(grep -c 'class="stonith"' <<<"$agents") == 1 ]] && grep -q 'id="fence-lab"' <<<"$agents" ||
	fail "stonith devices: $agents"
[[ $(xmllint --xpath 'string(//primitive[@id="pgsql-db"]//nvpair[@name="agent"]/@value)' "$WORK/replica-cib.xml") == \
	ocf:heartbeat:pgsql ]] || fail "pgsql-db's stand-in does not name its agent"
[[ $(on db-02 stonith_admin --list db-02 2>/dev/null | head -1) == *fence-lab* ]] ||
	fail "the lab's fence device cannot fence db-02: $(on db-02 stonith_admin --list db-02 2>&1)"

# crm_mon: the operator's nodes online, the groups where the saved CIB's
# preferences put them (db on db-01, web apart from it on app-01), the clone
# everywhere.
on app-03 crm_mon --one-shot --output-as=xml >"$WORK/crm_mon.xml"
for n in "${unames[@]}"; do
	[[ $(xmllint --xpath "string(//nodes/node[@name='$n']/@online)" "$WORK/crm_mon.xml") == true ]] ||
		fail "node $n is not online in the replica"
done
[[ $(xmllint --xpath 'count(//nodes/node)' "$WORK/crm_mon.xml") == 5 ]] || fail "not 5 nodes"
[[ $(owner_of grp-db) == db-01 && $(owner_of grp-web) == app-01 ]] ||
	fail "grp-db on $(owner_of grp-db), grp-web on $(owner_of grp-web): not where the CIB prefers them"
[[ $(xmllint --xpath 'count(//clone[@id="node-exporter-clone"]/resource[@role="Started"])' "$WORK/crm_mon.xml") == 5 ]] ||
	fail "the clone does not run on every node"
[[ $(on app-02 hostname) == app-02 ]] || fail "node app-02 has host name $(on app-02 hostname)"

# --- C. plan and apply --------------------------------------------------
"$CLUPDATE" plan "$manifest" --cluster "lab:$LAB" --output-as json >"$WORK/plan.json" ||
	fail "plan of the replica manifest failed"
nodes=$(jq -r '[.plan.steps[].node | select(. != null)] | unique | join(" ")' "$WORK/plan.json")
[[ $nodes == "app-01 app-02 app-03 db-01 db-02" ]] || fail "the plan does not name the operator's nodes: $nodes"
for g in grp-db grp-web; do
	predicted=$(jq --arg g "$g" '.plan.interruptions[$g].seconds' "$WORK/plan.json")
	[[ $predicted =~ ^[0-9.]+$ ]] && [[ $predicted != 0 ]] || fail "$g: no predicted interruption: $predicted"
done
strategy=$(jq -r .plan.strategy "$WORK/plan.json")

run_update() {
	local what=$1
	shift
	"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes --output-as json "$@" \
		>"$WORK/apply.json" 2>"$WORK/apply.err" || { cat "$WORK/apply.err" >&2; fail "$what: apply failed"; }
	[[ $(jq -r .run.state "$WORK/apply.json") == succeeded ]] || fail "$what: $(jq -c .run "$WORK/apply.json")"
	"$CLUPDATE" report "$(jq -r .run.id "$WORK/apply.json")" --state-dir "$state" --output-as json \
		>"$WORK/report.json" || fail "$what: report failed"
	assert_nothing_left n1 "after $what"
}

# at_version V: the stand-in software and its attribute at V on every node.
at_version() {
	local n
	for n in "${unames[@]}"; do
		[[ $(on "$n" cat /opt/clupdate-replica/VERSION) == "$1" ]] || fail "$n: stand-in software is not $1"
		[[ $(on n1 crm_attribute --node "$n" --name clupdate-replica-version --query --quiet) == "$1" ]] ||
			fail "$n: clupdate-replica-version is not $1"
	done
}

# one_outage GROUP ACTION NODE [PLAN]: the report measured exactly one
# outage of GROUP, during ACTION on NODE; noted against the prediction.
one_outage() {
	local g=$1 action=$2 node=$3 plan=${4:-$WORK/plan.json} measured
	[[ $(jq --arg g "$g" '[.report.outages[] | select(.group == $g)] | length' "$WORK/report.json") == 1 ]] ||
		fail "$g: not exactly one outage: $(jq -c .report.outages "$WORK/report.json")"
	[[ $(jq -r --arg g "$g" '.report.outages[] | select(.group == $g) | "\(.step_action) \(.step_node)"' \
		"$WORK/report.json") == "$action $node" ]] ||
		fail "$g: the outage is not on the $action on $node: $(jq -c .report.outages "$WORK/report.json")"
	measured=$(jq --arg g "$g" '.report.outages[] | select(.group == $g) | .duration_ms' "$WORK/report.json")
	((measured > 0)) || fail "$g: outage of $measured ms"
	note "$g: predicted $(jq --arg g "$g" '.plan.interruptions[$g].seconds' "$plan") s, measured $measured ms ($action $node)"
}

at_version 1
run_update "the $strategy update"
[[ $(jq -r .run.strategy "$WORK/apply.json") == "$strategy" ]] || fail "apply did not do the planned $strategy"
at_version 2
if [[ $strategy == in-place ]]; then
	one_outage grp-db install db-01
	one_outage grp-web install app-01
else
	fail "the manifest's auto chose $strategy: the stand-in install (2 s) should beat the switchover"
fi

# --- D. reset, then a rolling update ----------------------------------------
"$CLUPDATE" lab reset --name "$LAB" >"$WORK/reset.log" 2>&1 || { cat "$WORK/reset.log" >&2; fail "lab reset failed"; }
at_version 1
assert_nothing_left n1 "after the reset"
"$CLUPDATE" plan "$manifest" --cluster "lab:$LAB" --strategy rolling --output-as json >"$WORK/plan-rolling.json" ||
	fail "plan --strategy rolling failed"
run_update "the rolling update" --strategy rolling
at_version 2
for g in grp-db grp-web; do
	target=$(jq -r --arg g "$g" '.run.steps[] | select(.action == "move" and .group == $g) | .node' "$WORK/apply.json")
	[[ -n $target ]] || fail "$g was not moved"
	one_outage "$g" move "$target" "$WORK/plan-rolling.json"
done

# --- E. down ----------------------------------------------------------------
"$CLUPDATE" lab down --name "$LAB" >"$WORK/down.log" 2>&1 || fail "lab down failed: $(cat "$WORK/down.log")"
[[ ! -e $LAB_ROOT/$LAB ]] || fail "down left $LAB_ROOT/$LAB"
[[ -z $(ip netns list | grep -E "^clu-$LAB-") ]] || fail "down left namespaces"
