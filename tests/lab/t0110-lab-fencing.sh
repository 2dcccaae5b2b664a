# `clupdate lab up --fencing lab`: real fencing through the lab's fence agent.
#  - a hard kill of the owner is fenced (the fencer's history says so), the
#    group recovers elsewhere and keeps accepting mail; the killed node,
#    powered off by the user, stays off until `lab start`;
#  - a fence reboot requested with stonith_admin powers a running node off
#    and on again: it comes back online by itself;
#  - down also stops the fence helper.
source "$SRCDIR/tests/lab/lab-test-lib.sh"

lab_up "t0110-$$" --nodes 3 --fencing lab
[[ $(online_nodes) == "n1 n2 n3" ]] || fail "online after up: '$(online_nodes)'"
xml=$(cluster_xml)
grep -q 'stonith-enabled="true"' <<<"$xml" || fail "stonith is not enabled"
grep -q '<resource id="fence-lab" resource_agent="stonith:fence_clupdate_lab" role="Started"' <<<"$xml" ||
	fail "the fence device is not started"
first=$(owner mail)
[[ -n $first ]] || fail "mail is not started after up"
m1=$(send_mail) || fail "SMTP to $(vip) failed"

lab kill --name "$LAB" "$first" 2>/dev/null
wait_until 60 "mail to recover from $first" owner_is_not "$first"
survivor=$(owner mail)
grep -q "reboot of $first successful" <<<"$(on "$survivor" stonith_admin --history "$first" 2>/dev/null)" ||
	fail "no successful fencing of $first in the history: $(on "$survivor" stonith_admin --history '*' 2>&1)"
m2=$(send_mail) || fail "SMTP after the failover failed"
assert_stored "$m1" "$m2"
# Powered off by the user: the fence reboot must not have brought it back.
sleep 2
[[ $(cat "$LAB_ROOT/$LAB/nodes/$first/power") == off ]] || fail "$first was powered on by the fence reboot"
node_offline "$first" || fail "$first is not offline"
note "kill of $first fenced, mail on $survivor"

lab start --name "$LAB" "$first" 2>/dev/null
wait_until 60 "$first back online" node_online "$first"
# Fenced, the returning node is known clean: mail stays where it is.
sleep 3
[[ $(owner mail) == "$survivor" ]] || fail "mail failed back to $first (stickiness)"
mail_on_one_node || fail "mail is not running on exactly one node"

# A fence reboot of a running node: off, then on again by itself.
victim=n1; [[ $survivor == n1 ]] && victim=n2
on "$survivor" stonith_admin --reboot "$victim" --timeout 30 >/dev/null 2>&1 || fail "stonith_admin --reboot $victim failed"
wait_until 60 "$victim back online after the fence reboot" node_online "$victim"
[[ $(on "$survivor" stonith_admin --history "$victim" 2>/dev/null | grep -c "reboot of $victim successful") -ge 1 ]] ||
	fail "the fence reboot of $victim is not in the history"
note "fence reboot of $victim: back online"

read -r helper helper_start <"$LAB_ROOT/$LAB/fence/helper.pid"
[[ $(start_time "$helper") == "$helper_start" ]] || fail "the fence helper is not running"
record_lab_identity
lab down --name "$LAB" 2>/dev/null
assert_lab_gone
[[ $(start_time "$helper" || true) != "$helper_start" ]] || fail "the fence helper ($helper) survived down"
