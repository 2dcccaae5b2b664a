# Several labs side by side, and cleanup after a crash:
#  - two 2-node labs built at the same time get their own subnets; each
#    client reaches its own lab's mail service, which stores into its own
#    store only;
#  - an `up` killed (SIGKILL) half-way, with daemons already started, does not
#    break the next `up` of the same name, which removes the stale remains;
#  - down of one lab leaves the others running; each down leaves nothing.
source "$SRCDIR/tests/lab/lab-test-lib.sh"

a=t0120a-$$ b=t0120b-$$ c=t0120c-$$
LABS+=("$a" "$b" "$c")
trap labs_down EXIT

# Two at once.
lab up --name "$a" --nodes 2 >"$WORK/a.out" 2>"$WORK/a.err" & pa=$!
lab up --name "$b" --nodes 2 >"$WORK/b.out" 2>"$WORK/b.err" & pb=$!
wait "$pa" || { cat "$WORK/a.err" >&2; fail "cannot bring up lab $a"; }
wait "$pb" || { cat "$WORK/b.err" >&2; fail "cannot bring up lab $b"; }
LAB=$a; subnet_a=$(lab_env SUBNET); [[ $(online_nodes) == "n1 n2" ]] || fail "$a: online '$(online_nodes)'"
LAB=$b; subnet_b=$(lab_env SUBNET); [[ $(online_nodes) == "n1 n2" ]] || fail "$b: online '$(online_nodes)'"
[[ $subnet_a != "$subnet_b" ]] || fail "labs $a and $b share subnet $subnet_a"
LAB=$a; ma=$(send_mail) || fail "SMTP in $a failed"
LAB=$b; mb=$(send_mail) || fail "SMTP in $b failed"
LAB=$a; assert_stored "$ma"
"$DEMO/maild-1" --list-store "$LAB_ROOT/$a/store" | grep -qx "$mb" && fail "lab $b's message is in lab $a's store"
# A lab's client cannot reach another lab's virtual IP (sealed namespaces).
LAB=$a
client "$DEMO/smtp-send" "$subnet_b.100" 25 --timeout-ms 1000 >/dev/null 2>&1 &&
	[[ $subnet_b != "$subnet_a" ]] && fail "lab $a reaches lab $b's service"
note "labs $a ($subnet_a.0/24) and $b ($subnet_b.0/24) side by side"

# An `up` killed half-way: corosync already running on its nodes.
lab up --name "$c" --nodes 3 >/dev/null 2>&1 & pc=$!
for ((i = 0; i < 300; i++)); do
	[[ -s $LAB_ROOT/$c/nodes/n3/corosync.pid ]] && break
	sleep 0.1
done
[[ -s $LAB_ROOT/$c/nodes/n3/corosync.pid ]] || fail "the up of $c did not get to starting corosync"
kill -KILL "$pc"; wait "$pc" 2>/dev/null || true
# The clupdate binary exec'd the script: $pc was the script. Its daemons live on.
LAB=$c
record_lab_identity
[[ -n $(processes_in_lab_namespaces) ]] || fail "no daemon of the killed up of $c is running (nothing to clean)"
lab up --name "$c" --nodes 3 >"$WORK/c.out" 2>"$WORK/c.err" || { cat "$WORK/c.err" >&2; fail "up after a killed up of $c failed"; }
grep -q "removing existing lab '$c'" "$WORK/c.err" || fail "up did not say it removed the stale lab"
left=$(recorded_processes_alive)
[[ -z $left ]] || fail "processes of the killed up of $c survive the next up: $left"
[[ $(online_nodes) == "n1 n2 n3" ]] || fail "$c: online '$(online_nodes)'"
mc=$(send_mail) || fail "SMTP in $c failed"
assert_stored "$mc"
note "up after a killed up of $c works"

# Downs one by one: the others keep running.
for gone in "$c" "$a"; do
	LAB=$gone
	record_lab_identity
	lab down --name "$gone" 2>/dev/null
	assert_lab_gone
done
LAB=$b
[[ $(online_nodes) == "n1 n2" ]] || fail "$b lost nodes when the other labs went down: '$(online_nodes)'"
mb2=$(send_mail) || fail "SMTP in $b failed after the other labs went down"
assert_stored "$mb" "$mb2"
record_lab_identity
lab down --name "$b" 2>/dev/null
assert_lab_gone
note "each down removed its lab only"
