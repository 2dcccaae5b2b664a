# Issue 4 acceptance: the installer fails on the second node. The run stops
# with a non-zero status and a clear message that names the node and quotes
# the installer's output; the cluster is left safe (mail runs on the
# updated owner, and no node still at version 1 may host it); and
# `clupdate status` shows it all.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1010-$$" 3
state=$WORK/state
demo=$SRCDIR/build/demo/sp2

# sp2, with an installer that fails on the node planned second.
"$CLUPDATE" plan "$demo/sp2.conf" --cluster "lab:$LAB" --output-as json >"$WORK/plan.json"
owner=$(jq -r '[.plan.steps[] | select(.action == "install")][0].node' "$WORK/plan.json")
second=$(jq -r '[.plan.steps[] | select(.action == "install")][1].node' "$WORK/plan.json")
note "owner $owner, second node $second"
sed -e "s|^command = .*|command = if [ \"\$CLU_NODE\" = $second ]; then echo \"sp2: cannot write /opt/clupdate-mail on \$CLU_NODE: No space left on device\"; exit 28; fi; exec $demo/install|" \
    -e "s|^verify = .*|verify = $demo/verify|" \
    -e "/^check/d" "$demo/sp2.conf" >"$WORK/sp2-fails.conf"

status=0
"$CLUPDATE" apply "$WORK/sp2-fails.conf" --cluster "lab:$LAB" --state-dir "$state" --yes \
	>"$WORK/apply.out" 2>"$WORK/apply.err" || status=$?
cat "$WORK/apply.err" >&2
((status == 9)) || fail "apply exited with $status, expected 9 (a step failed)"
grep -q "step 6 (install on $second) failed" "$WORK/apply.err" || fail "the message does not name the step and node"
grep -q "No space left on device" "$WORK/apply.err" || fail "the installer's output is not shown"

# Safe: mail runs on the updated owner; every node at 1 is kept off it.
[[ $(owner_of mail) == "$owner" ]] || fail "mail is not on the updated owner $owner"
[[ $(on "$owner" crm_attribute --node "$owner" --name mail-version --query --quiet) == 2 ]] ||
	fail "the owner is not at version 2"
constraints=$(on "$owner" cibadmin --query --scope constraints)
for n in n1 n2 n3; do
	[[ $n == "$owner" ]] && continue
	[[ $(on "$owner" crm_attribute --node "$n" --name mail-version --query --quiet) == 1 ]] ||
		fail "$n should still be at version 1"
	grep -q "id=\"clupdate-ban-mail-on-$n\"" <<<"$constraints" ||
		fail "$n (version 1) is not banned from mail: $constraints"
done

# status shows the failure, the output and what was left in place.
"$CLUPDATE" status --state-dir "$state" >"$WORK/status.txt"
cat "$WORK/status.txt" >&2
grep -q "state     failed: step 6 (install on $second) failed: 'installer' exited with status 28" "$WORK/status.txt" || fail "status state"
grep -q "No space left on device" "$WORK/status.txt" || fail "status lacks the installer's output"
grep -q "clupdate-ban-mail-on-$second" "$WORK/status.txt" || fail "status does not list the ban left in place"
"$CLUPDATE" status --state-dir "$state" --output-as json |
	jq -e '.run.state == "failed" and (.run.remaining | length) >= 2' >/dev/null ||
	fail "status json"
