# Issue 8: from an admin host. clupdate runs in the lab's client namespace
# (a machine on the cluster's network that is no node) with
# --cluster ssh:n1,n2,n3 and the ssh_config the lab wrote (host keys
# checked); the whole sp2 update succeeds with one outage under the SMTP
# probe's load, and each node's installer and verify ran on that very node
# over ssh (their where.log: host name and network namespace).
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1040-$$" 3
state=$WORK/state
owner=$(owner_of mail) || fail "mail is not running after lab up"
note "mail runs on $owner"

"$CLUPDATE" lab client --name "$LAB" -- "$CLUPDATE" apply "$SRCDIR/build/demo/sp2/sp2.conf" \
	--cluster ssh:n1,n2,n3 --ssh-config "$(lab_ssh_config)" --state-dir "$state" --yes \
	--output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" ||
	{ cat "$WORK/apply.err" >&2; fail "apply over ssh failed"; }
for n in n1 n2 n3; do
	grep -q "checking that node '$n' answers as itself" "$WORK/apply.err" ||
		fail "no check of $n before the first change"
	assert_ran_here "$n" "mail-sp2 install" ssh
	assert_ran_here "$n" verify ssh
done
assert_sp2_done "$WORK/apply.json" "$state" "$owner"

# A host key that does not match is refused before any change.
bad=$WORK/bad-ssh-config
sed "s|UserKnownHostsFile .*|UserKnownHostsFile $WORK/empty_known_hosts|" "$(lab_ssh_config)" >"$bad"
: >"$WORK/empty_known_hosts"
cib_before=$(on n1 cibadmin --query --scope constraints)
set +e
"$CLUPDATE" lab client --name "$LAB" -- "$CLUPDATE" apply "$SRCDIR/build/demo/sp3/sp3.conf" \
	--cluster ssh:n1,n2,n3 --ssh-config "$bad" --state-dir "$state" --yes 2>"$WORK/bad.err"
rc=$?
set -e
[[ $rc == 6 ]] || { cat "$WORK/bad.err" >&2; fail "unknown host keys: exit $rc, expected 6"; }
grep -q "Host key verification failed" "$WORK/bad.err" || fail "message: $(cat "$WORK/bad.err")"
[[ $(on n1 cibadmin --query --scope constraints) == "$cib_before" ]] || fail "the refused run changed constraints"
