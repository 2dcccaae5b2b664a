#!/bin/bash
# Two instances of maild on one node, as the lab's two groups (mail, and
# mail2 with its pidfile in RUN/mail2/) can leave them: the sp2 installer
# stops both, installs maild 2 once, migrates both stores, restarts both
# the way the agent had started them; no acknowledged message of either is
# lost; verify prints 2 and sees both daemons. A second run changes
# nothing; a daemon of either instance left stopped by a crash is restarted.
source "$(dirname "$0")/lib.sh"

sp=$DEMO_DIR/sp2
export MAIL_NO_ATTRIBUTE=1 MAIL_PREFIX=$WORK/opt MAIL_RUN=$WORK/run MAIL_SERVICE_PAUSE_MS=0
export CLU_VERSION=2 CLU_MANIFEST_DIR=$sp
export OCF_RESKEY_binary=$MAIL_PREFIX/bin/maild OCF_RESKEY_ip=127.0.0.1 HA_LOGFILE=$WORK/ha.log
unset MAIL_STORE

# instance NAME RUNDIR: the agent's parameters for one instance.
instance() {
	export OCF_RESKEY_store=$WORK/store-$1 OCF_RESKEY_port=${port[$1]}
	export OCF_RESKEY_pidfile=$2/maild.pid OCF_RESKEY_log=$2/maild.log
}
declare -A port=([mail]=$(random_port) [mail2]=$(random_port)) pid=()
[[ ${port[mail]} != "${port[mail2]}" ]] || port[mail2]=$((port[mail] + 1))
declare -A run=([mail]=$MAIL_RUN [mail2]=$MAIL_RUN/mail2)

"$DEMO_DIR/setup-node" 1 >/dev/null || fail "setup-node 1"
for g in mail mail2; do
	mkdir -p "$WORK/store-$g"
	instance "$g" "${run[$g]}"
	ocf start
	((OCF_RC == 0)) || fail "agent start of $g: $OCF_OUT"
	read -r "pid[$g]" <"${run[$g]}/maild.pid"
	track_pid "${pid[$g]}"
	"$DEMO_DIR/smtp-send" 127.0.0.1 "${port[$g]}" --count 10 >"acked-$g" || fail "cannot send to $g"
done

rc=0; "$sp/install" >out 2>err || rc=$?
((rc == 0)) || fail "install failed ($rc): $(cat out err)"
(($(grep -c '^maild stopped at mono_ms=' out) == 2)) || fail "not both stopped: $(cat out)"
(($(grep -c '^maild started at mono_ms=' out) == 2)) || fail "not both restarted: $(cat out)"
[[ $("$MAIL_PREFIX/bin/maild" --version) == 2 ]] || fail "maild 2 not installed"
for g in mail mail2; do
	[[ $(<"$WORK/store-$g/FORMAT") == 2 ]] || fail "the store of $g was not migrated"
	read -r new <"${run[$g]}/maild.pid"
	track_pid "$new"
	[[ $new != "${pid[$g]}" ]] && pid_alive "$new" || fail "$g's maild was not restarted"
	[[ $(readlink "/proc/$new/exe") == "$MAIL_PREFIX/bin/maild" ]] || fail "$g restarted from the wrong binary"
	[[ ! -e ${run[$g]}/maild.restart ]] || fail "$g's maild.restart left behind"
	pid[$g]=$new
	"$MAIL_PREFIX/bin/maild" --list-store "$WORK/store-$g" >stored || fail "cannot list $g's store"
	missing=$(sort "acked-$g" | comm -23 - stored)
	[[ -z $missing ]] || fail "$g: acknowledged but lost: $missing"
	instance "$g" "${run[$g]}"
	ocf monitor
	((OCF_RC == 0)) || fail "agent monitor of $g after the update: exit $OCF_RC"
done
out=$("$sp/verify") || fail "verify failed: $out"
[[ $(head -1 <<<"$out") == 2 && $out == *"${pid[mail]}"* && $out == *"${pid[mail2]}"* ]] ||
	fail "verify printed '$out'"

rc=0; "$sp/install" >out2 2>err2 || rc=$?
((rc == 0)) && grep -q "nothing to do" out2 || fail "second run: exit $rc, $(cat out2 err2)"

# A crash after mail2's stop: the next run restarts mail2 only.
instance mail2 "${run[mail2]}"
ocf stop
cp "${run[mail2]}/maild.params" "${run[mail2]}/maild.restart"
rc=0; "$sp/install" >out3 2>err3 || rc=$?
((rc == 0)) || fail "resume run failed ($rc): $(cat out3 err3)"
(($(grep -c '^maild started at mono_ms=' out3) == 1)) || fail "resume: $(cat out3)"
! grep -q '^maild stopped at' out3 || fail "resume stopped a running instance: $(cat out3)"
read -r new <"${run[mail2]}/maild.pid" && track_pid "$new"
ocf monitor
((OCF_RC == 0)) || fail "mail2's maild not running after the resumed run"
read -r new <"${run[mail]}/maild.pid"
[[ $new == "${pid[mail]}" ]] || fail "the resume touched mail's maild"
for g in mail mail2; do instance "$g" "${run[$g]}"; ocf stop; done
