# Issue 8: on a cluster node, with the default target (--cluster
# pacemaker). clupdate runs inside node n1; the engine is asked there, n1's
# installer runs there, and every other node's over ssh (the lab's
# ssh_config): never all on the local machine. The whole sp2 update
# succeeds with one outage under the SMTP probe's load. Then the check
# before any change: with an ssh_config that maps n3 to n2's address,
# clupdate refuses before the first change, naming the node and the machine
# it reached.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1050-$$" 3
state=$WORK/state
owner=$(owner_of mail) || fail "mail is not running after lab up"
note "mail runs on $owner; clupdate runs on n1"

on n1 "$CLUPDATE" apply "$SRCDIR/build/demo/sp2/sp2.conf" --ssh-config "$(lab_ssh_config)" \
	--state-dir "$state" --yes --output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" ||
	{ cat "$WORK/apply.err" >&2; fail "apply on n1 failed"; }
assert_ran_here n1 "mail-sp2 install" ""
assert_ran_here n1 verify ""
for n in n2 n3; do
	assert_ran_here "$n" "mail-sp2 install" ssh
	assert_ran_here "$n" verify ssh
done
assert_sp2_done "$WORK/apply.json" "$state" "$owner"

# n3 mapped to n2's machine: refused before any change, naming both.
wrong=$WORK/wrong-ssh-config
awk -v a="$(sed -n 's/^SUBNET=//p' "$LAB_ROOT/$LAB/lab.env").2" '
	/^Host n3/ { n3 = 1 } /^Host / && !/^Host n3/ { n3 = 0 }
	n3 && /HostName/ { print "  HostName " a; next } { print }' "$(lab_ssh_config)" >"$wrong"
cib_before=$(on n1 cibadmin --query --scope constraints)
set +e
on n1 "$CLUPDATE" apply "$SRCDIR/build/demo/sp3/sp3.conf" --ssh-config "$wrong" \
	--state-dir "$state" --yes 2>"$WORK/wrong.err"
rc=$?
set -e
[[ $rc == 4 ]] || { cat "$WORK/wrong.err" >&2; fail "n3 mapped to n2: exit $rc, expected 4"; }
grep -q "node 'n3' is not the machine reached for it: that machine calls itself 'n2'" "$WORK/wrong.err" ||
	fail "message: $(cat "$WORK/wrong.err")"
[[ $(on n1 cibadmin --query --scope constraints) == "$cib_before" ]] || fail "the refused run changed constraints"
[[ $(wc -l <"$LAB_ROOT/$LAB/nodes/n2/opt-clupdate-mail/where.log") == 2 ]] ||
	fail "an sp3 command ran on n2: $(cat "$LAB_ROOT/$LAB/nodes/n2/opt-clupdate-mail/where.log")"
