# [group "NAME"] sections (doc/manifest.md): a manifest for two groups,
# each with its own expected switchover and install times, probe and
# budget. The plan predicts each group's interruption with its own times,
# in every strategy, and auto compares the totals; the same update written
# with groups and [update]'s times alone predicts them alike for both;
# the probes run one per group, each against its own target; a section
# that does not fit is one error line with its file and line, exit 3.
source "$SRCDIR/tests/lib/cli.sh"
m=$FIXTURES/cli/two-groups.conf
cluster=static:$FIXTURES/cli/3node-two-groups.ini

# plan_json STRATEGY [MANIFEST]: the plan as JSON in plan.json.
plan_json() {
	"$CLUPDATE" plan "${2:-$m}" --cluster "$cluster" --strategy "$1" --output-as json \
		>plan.json 2>err.txt || fail "plan $1: $(cat err.txt)"
}
# interrupts ACTION GROUP: the predicted seconds of GROUP's ACTION step(s).
interrupts() {
	jq -r --arg a "$1" --arg g "$2" \
		'[.plan.steps[] | select(.action == $a and (.interrupts // [] | index($g)))
		  | .interrupts_seconds] | map(tostring) | join(" ")' plan.json
}
# total GROUP: the plan's predicted interruption of GROUP, in seconds.
total() { jq -r --arg g "$1" '.plan.interruptions[$g].seconds' plan.json; }

# auto: rolling (1 s + 4 s) against in place (8 s + 12 s); the runbook.
"$CLUPDATE" plan "$m" --cluster "$cluster" >plan.txt 2>err.txt || fail "plan: $(cat err.txt)"
golden plan-two-groups-auto.txt plan.txt
grep -q "auto chose rolling: predicted interruption 5000 ms (one switchover per group) against 20000 ms in place" plan.txt ||
	fail "auto's choice: $(grep auto plan.txt)"

# Rolling: each move predicted with its group's switchover time.
plan_json rolling
[[ $(interrupts move mail) == 1 && $(interrupts move mail2) == 4 ]] ||
	fail "rolling: moves predicted $(interrupts move mail) s (mail) and $(interrupts move mail2) s (mail2), expected 1 and 4"
[[ $(total mail) == 1 && $(total mail2) == 4 ]] || fail "rolling totals: $(jq -c .plan.interruptions plan.json)"

# In place: each owner's install predicted with its group's install time.
plan_json in-place
[[ $(interrupts install mail) == 8 && $(interrupts install mail2) == 12 ]] ||
	fail "in place: installs predicted $(interrupts install mail) s (mail) and $(interrupts install mail2) s (mail2), expected 8 and 12"
[[ $(total mail) == 8 && $(total mail2) == 12 ]] || fail "in-place totals: $(jq -c .plan.interruptions plan.json)"

# Both groups on one node: one install stops both, for the longer time.
sed 's/^owner = n2$/owner = n1/' "$FIXTURES/cli/3node-two-groups.ini" >together.ini
"$CLUPDATE" plan "$m" --cluster static:together.ini --strategy in-place --output-as json >plan.json ||
	fail "plan with both groups on n1"
[[ $(interrupts install mail) == 12 && $(interrupts install mail2) == 12 ]] ||
	fail "one install for both: predicted $(interrupts install mail) s and $(interrupts install mail2) s, expected 12 for both"

# A slower switchover of mail2 turns auto to in place: 1 s + 30 s > 20 s.
sed 's/^expected-switchover-time = 4s$/expected-switchover-time = 30s/' "$m" >slow.conf
grep -q "^expected-switchover-time = 30s" slow.conf || fail "sed found no switchover time of mail2"
plan_json auto slow.conf
[[ $(jq -r .plan.strategy plan.json) == in-place ]] || fail "auto with a 30 s switchover: $(jq -r .plan.choice plan.json)"
jq -r .plan.choice plan.json | grep -q "20000 ms against 31000 ms rolling" || fail "choice: $(jq -r .plan.choice plan.json)"

# Without [group] sections, [update]'s times for every group: the same
# steps, the same prediction for both.
cat >plain.conf <<'EOC'
[update]
name = mail-sp3
version = 2
groups = mail, mail2
data-migration = no
takeover-compatible = yes
expected-install-time = 8s
expected-switchover-time = 1s

[install]
command = ./install
verify = ./verify
EOC
plan_json rolling plain.conf
[[ $(interrupts move mail) == 1 && $(interrupts move mail2) == 1 ]] ||
	fail "without sections: $(interrupts move mail) and $(interrupts move mail2), expected 1 and 1"
jq -c '[.plan.steps[] | [.action, .node, .group]]' plan.json >plain-steps.json
plan_json rolling
jq -c '[.plan.steps[] | [.action, .node, .group]]' plan.json | cmp -s - plain-steps.json ||
	fail "the [group] sections changed the steps, not only the predictions"

# One probe per group, each against its own target: mail's answers,
# mail2's (a closed port) does not. (A budget is checked by apply between
# steps; test-manifest checks that a group's reaches its probes.)
cat >probes.conf <<'EOC'
[update]
name = mail-sp3
version = 2
data-migration = no

[install]
command = ./install
verify = ./verify

[group "mail"]
probe = command
probe-command = true
probe-interval-ms = 50

[group "mail2"]
max-outage = 10s
probe = tcp
probe-address = 127.0.0.1:1
probe-interval-ms = 50
EOC
"$CLUPDATE" probe probes.conf --cluster "$cluster" --duration 1 --output-as json >probe.json 2>err.txt ||
	fail "probe: $(cat err.txt)"
[[ $(jq -r '[.report.probes | sort_by(.name)[] | "\(.name):\(.group)"] | join(" ")' probe.json) == "mail:mail mail2:mail2" ]] ||
	fail "probes: $(jq -c .report.probes probe.json)"
[[ $(jq -r '.report.probes[] | select(.name == "mail") | .failures' probe.json) == 0 ]] ||
	fail "mail's probe failed: $(jq -c .report.probes probe.json)"
[[ $(jq -r '[.report.outages[].group] | unique | join(" ")' probe.json) == mail2 ]] ||
	fail "outages: $(jq -c .report.outages probe.json)"
((n = $(jq -r '.report.probes[] | select(.name == "mail2") | .probes' probe.json), n > 0)) ||
	fail "mail2's probe never ran"

# Errors: one line, file and line, did-you-mean; exit 3, nothing planned.
# bad MANIFEST-TEXT EXPECTED-MESSAGE
bad() {
	printf '%s' "$1" >bad.conf
	expect_status 3 "$CLUPDATE" plan bad.conf --cluster "$cluster" >out.txt 2>err.txt
	[[ ! -s out.txt ]] || fail "stdout is not empty: $(cat out.txt)"
	[[ $(wc -l <err.txt) == 1 ]] || fail "expected one error line, got: $(cat err.txt)"
	[[ $(cat err.txt) == "clupdate: bad.conf:$2" ]] || fail "message: $(cat err.txt), expected bad.conf:$2"
}
head='[update]
name = x
version = 2
data-migration = no
'
install='[install]
command = i
verify = v
'
bad "$head${install}groups = mail
" "8: [install] unknown key 'groups' (expected one of: command, verify, rollback, down-migration, timeout, check, check-timeout, soak)"
bad "$head$install" "1: [update] missing required key 'groups' (expected groups = group names separated by commas or spaces, or a [group \"NAME\"] section for each group)"
bad "${head}groups = mail, mail2
$install[group \"mial2\"]
expected-switchover-time = 2s
" "9: [group \"mial2\"] 'mial2' is not one of the updated groups, did you mean 'mail2'? (expected one of groups on line 5: mail, mail2; or no groups, and a [group \"NAME\"] section for each group)"
bad "$head$install[group \"mail\"]
expected-switchover-tme = 2s
" "9: [group \"mail\"] unknown key 'expected-switchover-tme', did you mean 'expected-switchover-time'? (expected one of: expected-install-time, expected-switchover-time, max-outage, up-timeout, probe, probe-address, probe-command, probe-interval-ms, probe-timeout-ms, probe-check)"
bad "$head$install[group \"mail\"]
probe-address = :25
" "9: [group \"mail\"] probe-address: set without 'probe' (expected probe = tcp, smtp or command in this section too)"
bad "$head$install[group \"mail\"]
probe = smtp
[group \"mail\"]
" "10: duplicate group name in [group \"mail\"], first on line 8 (expected each group name once)"
bad "$head$install[group \"mail\"]
max-outage = 5s
" "9: [group \"mail\"] max-outage: no probe watches 'mail' to measure it (expected probe = ... in this section, or a [probe] with group = mail)"
