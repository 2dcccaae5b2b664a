# The failure policy: with max-failed-nodes = 1, an installer that fails on
# a passive node does not stop the run. That node stays drained and banned
# (the version guard), the others are updated, and the run ends with a
# non-zero status naming it. A later run of the same update, the fault
# fixed, updates that node and removes what the first run left: the
# cluster ends with nothing of clupdate's in it.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1020-$$" 3
state=$WORK/state
demo=$SRCDIR/build/demo/sp2

"$CLUPDATE" plan "$demo/sp2.conf" --cluster "lab:$LAB" --output-as json >"$WORK/plan.json"
last=$(jq -r '[.plan.steps[] | select(.action == "install")][2].node' "$WORK/plan.json")
note "the installer will fail on $last"
sed -e "s|^command = .*|command = if [ \"\$CLU_NODE\" = $last ]; then echo \"sp2: checksum mismatch in maild\"; exit 5; fi; exec $demo/install|" \
    -e "s|^verify = .*|verify = $demo/verify|" -e "s|^check = .*|check = $demo/check-delivered|" \
    -e "s|^max-failed-nodes = .*|max-failed-nodes = 1|" "$demo/sp2.conf" >"$WORK/sp2-flaky.conf"

status=0
"$CLUPDATE" apply "$WORK/sp2-flaky.conf" --cluster "lab:$LAB" --state-dir "$state" --yes \
	>"$WORK/apply.out" 2>"$WORK/apply.err" || status=$?
cat "$WORK/apply.err" >&2
((status == 9)) || fail "apply exited with $status, expected 9"
grep -q "1 node failed and was left out of service (max-failed-nodes = 1)" "$WORK/apply.err" ||
	fail "the message does not say a node was given up"
grep -q "checksum mismatch" "$WORK/apply.err" || fail "the installer's output is not shown"
for n in n1 n2 n3; do
	want=2; [[ $n == "$last" ]] && want=1
	[[ $(on n1 crm_attribute --node "$n" --name mail-version --query --quiet) == "$want" ]] ||
		fail "$n should be at version $want"
done
[[ $(on n1 crm_attribute --node "$last" --name standby --query --quiet) == on ]] ||
	fail "$last should be left drained"
on n1 cibadmin --query --scope constraints | grep -q "clupdate-ban-mail-on-$last" ||
	fail "$last should be left banned from mail"
"$CLUPDATE" show last --state-dir "$state" --output-as json |
	jq -e '[.run.steps[] | select(.state == "skipped")] | length == 2' >/dev/null ||
	fail "the given-up node's verify and undrain should be skipped"

# The fault fixed, the same update again: it finishes and tidies up.
"$CLUPDATE" apply "$demo/sp2.conf" --cluster "lab:$LAB" --state-dir "$state" --yes \
	>"$WORK/again.out" 2>"$WORK/again.err" || { cat "$WORK/again.err" >&2; fail "the second run failed"; }
[[ $(on n1 crm_attribute --node "$last" --name mail-version --query --quiet) == 2 ]] ||
	fail "$last is not updated by the second run"
on n1 cibadmin --query --scope constraints | grep -q "clupdate-" &&
	fail "constraints left: $(on n1 cibadmin --query --scope constraints)"
on n1 cibadmin --query | grep -q 'name="standby" value="on"' && fail "a node is still drained"
"$CLUPDATE" status --state-dir "$state" --output-as json |
	jq -e '.run.state == "succeeded" and (.run.events | map(select(.kind == "adopted")) | length) == 2' \
	>/dev/null || fail "the second run did not adopt the first run's ban and drain"
