# The Debian package on this machine, as an operator uses it (issue 14's
# acceptance): installed with apt-get (its dependencies already there, or
# fetched), it answers --version and help, its man pages render through
# man, its bash completion completes, the demo it ships plans and applies
# on a simulated cluster; then the lab demo from the installed paths only
# (a scratch directory, a clean environment, a PATH without any build
# tree): a 3-node lab with the packaged fence agent, the demo's sp2 applied
# under its SMTP probe, every node at version 2, no acknowledged message
# lost, the report written; every file the apply opened or ran is outside
# the source tree. The lab comes down also on failure. Purged, the package
# leaves no file behind: the file lists of /usr, /etc, /opt, /srv and
# /var/lib before and after are the same, but for package managers' own
# state.
#
# A killed run leaves the package installed, maybe half, and its lab up:
# it records both in $marker first, so the next run brings that lab down
# and purges that package before it starts. A clupdate this test did not
# install is never removed: the test refuses to run.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*" >&2; }
((EUID == 0)) || fail "needs root: it installs and purges the package"
[[ -f $DEB ]] || fail "no package '$DEB'"
version=$(dpkg-deb -f "$DEB" Version)
apt_opts=(-y -qq -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive
marker=/var/lib/clupdate-pkg-test/run
LAB=pkg-$$

# dpkg's state of clupdate: installed, half-installed, unpacked, ...;
# not-installed when dpkg has no record of it.
pkg_state() { dpkg-query -W -f='${db:Status-Status}' clupdate 2>/dev/null || echo not-installed; }

# lab_down NAME: with the installed clupdate, or with the source tree's
# lab script when a half-removed package has none (down needs only the
# lab's state).
lab_down() {
	if [[ -x /usr/bin/clupdate && -x /usr/libexec/clupdate/lab/clupdate-lab ]]; then
		/usr/bin/clupdate lab down --name "$1"
	else
		"$SRCDIR/lab/clupdate-lab" down --name "$1"
	fi
}

# What a killed earlier run left: its lab, its package, its marker.
if [[ -f $marker ]]; then
	note "a killed run left: $(tr '\n' ' ' <"$marker")"
	for lab in $(sed -n 's/^lab //p' "$marker"); do
		lab_down "$lab" >/dev/null 2>&1 || fail "cannot bring down lab '$lab' of a killed run"
	done
	if [[ $(pkg_state) != not-installed ]]; then
		dpkg --purge --force-remove-reinstreq clupdate >leftover.log 2>&1 ||
			fail "cannot purge the clupdate a killed run left: $(tail -5 leftover.log)"
	fi
	rm -rf "${marker%/*}"
fi
[[ $(pkg_state) == not-installed ]] ||
	fail "clupdate is on this machine ($(pkg_state)), not installed by this test: it would remove it"

# The lab's host directories: empty mount points and its state root,
# shared by every lab on the machine (also other tests' and users', from
# any copy of the lab) and removed by the last one's down. Left out of
# the snapshots; checked at the end when no other lab is up. The lab
# names them: a list kept here missed one when the replica lab came.
mapfile -t lab_host_dirs < <("$SRCDIR/lab/clupdate-lab" host-dirs)
for d in /var/lib/clupdate-lab /opt/clupdate-mail /opt/clupdate-replica /usr/lib/ocf/resource.d/clupdate \
	/srv/clupdate-mail /srv/clupdate-mail2; do
	[[ " ${lab_host_dirs[*]} " == *" $d "* ]] || fail "the lab does not name $d among its host directories: ${lab_host_dirs[*]}"
done
other_labs() { compgen -G "/var/lib/clupdate-lab/*/lab.env" || true; }
lab_dirs_before=$(ls -d "${lab_host_dirs[@]}" 2>/dev/null || true)

# Every file but the package managers' own state (dpkg's database and
# apt's lists), which an install and a purge change by design, and the
# lab's host directories (above).
snapshot() {
	local prune=(-path /var/lib/dpkg -o -path /var/lib/apt) d
	for d in "${lab_host_dirs[@]}"; do prune+=(-o -path "$d"); done
	find /usr /etc /opt /srv /var/lib -xdev \( "${prune[@]}" \) -prune -o -print 2>/dev/null | sort
}

# A lab from a source tree puts its own fence agent there while it is up
# with --fencing lab: the package would take that file over, and its purge
# remove it under that lab.
[[ ! -e /usr/sbin/fence_clupdate_lab ]] ||
	fail "/usr/sbin/fence_clupdate_lab is there already (a lab with --fencing lab is up?): the package would replace it"

mkdir -p "${marker%/*}"
printf 'version %s\nlab %s\n' "$version" "$LAB" >"$marker"
snapshot >before.txt

lab_is_up=no
purge() { apt-get purge "${apt_opts[@]}" clupdate >purge.log 2>&1; }
# On any exit before the end: the lab down, the package purged (the
# marker stays if either fails, for the next run).
teardown() {
	local rc=$?
	if [[ $lab_is_up == yes ]]; then
		lab_down "$LAB" >lab-down.log 2>&1 || { echo "warning: lab down failed" >&2; exit "$rc"; }
	fi
	purge || { echo "warning: purge failed: $(tail -5 purge.log)" >&2; exit "$rc"; }
	rm -rf "${marker%/*}"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 143' TERM HUP INT

apt-get install "${apt_opts[@]}" "$DEB" >install.log 2>&1 || fail "install: $(tail -20 install.log)"
[[ $(command -v clupdate) == /usr/bin/clupdate ]] || fail "clupdate is not /usr/bin/clupdate"
[[ $(clupdate --version) == "clupdate $version" ]] || fail "--version: $(clupdate --version)"
clupdate help >help.txt || fail "clupdate help failed"
grep -q "^  apply " help.txt || fail "help: $(cat help.txt)"

# The man pages, through man as a user calls it.
MANWIDTH=80 man -P cat clupdate >man.txt 2>man.err || fail "man clupdate: $(cat man.err)"
grep -q "clupdate-apply(1)" man.txt || fail "man clupdate lists no commands"
for page in "1 clupdate-apply" "1 clupdate-lab" "5 clupdate-manifest" "5 clupdate-static"; do
	# shellcheck disable=SC2086
	MANWIDTH=80 man -P cat $page >page.txt 2>man.err || fail "man $page: $(cat man.err)"
	[[ ! -s man.err ]] || fail "man $page warns: $(cat man.err)"
	grep -q "^NAME" page.txt || fail "man $page: no NAME"
done

# The completion, installed where bash-completion loads it from.
comp=/usr/share/bash-completion/completions/clupdate
got=$(bash -c 'source "$1"; COMP_WORDS=(clupdate rep); COMP_CWORD=1; _clupdate
	echo "${COMPREPLY[*]}"' _ "$comp") || fail "completion failed"
[[ $got == report ]] || fail "completion of 'rep': '$got'"

# The demo from the installed paths: its service pack planned and applied
# on a simulated copy of the lab's cluster.
demo=/usr/libexec/clupdate/demo
cp "$demo/sim/lab.ini" sim.ini
clupdate plan "$demo/sp2/sp2.conf" --cluster sim:sim.ini >plan.txt 2>plan.err ||
	fail "plan of the installed demo: $(cat plan.err)"
clupdate apply "$demo/sp2/sp2.conf" --cluster sim:sim.ini --state-dir sim-state --yes \
	>apply.txt 2>apply.err || fail "apply of the installed demo: $(cat apply.err)"
grep -q "succeeded" apply.txt || fail "apply: $(cat apply.txt)"

# ---- the lab demo from the installed paths
# As an operator runs it: from a scratch directory, in a clean
# environment whose PATH has no build tree.
mkdir scratch
cd scratch
op() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
on() { local node=$1; shift; op clupdate lab exec --name "$LAB" "$node" -- "$@"; }
owner_of() {
	on n1 crm_mon --output-as=xml 2>/dev/null |
		xmllint --xpath "string(//group[@id='$1']/resource[@role='Started'][1]/node/@name)" - 2>/dev/null
}
state=/var/lib/clupdate-lab/$LAB

lab_is_up=yes
op clupdate lab up --name "$LAB" --nodes 3 --fencing lab >lab-up.log 2>&1 ||
	fail "lab up from the installed paths: $(tail -30 lab-up.log)"
note "$(grep '^lab: ' lab-up.log | tail -1)"

# `clupdate lab` ran the installed script with the installed demo: its
# fence helper (a process of that script) says so, in its command line and
# environment.
read -r helper _ <"$state/fence/helper.pid" || fail "the lab has no fence helper"
tr '\0' ' ' <"/proc/$helper/cmdline" >helper.cmdline
[[ $(<helper.cmdline) == *bash" /usr/libexec/clupdate/lab/clupdate-lab fence-helper "* ]] ||
	fail "the lab's script is not the installed one: $(cat helper.cmdline)"
tr '\0' '\n' <"/proc/$helper/environ" >helper.env
grep -qx "CLUPDATE=/usr/bin/clupdate" helper.env || fail "the lab's clupdate: $(grep CLUPDATE= helper.env)"
grep -qx "CLU_DEMO_DIR=$demo" helper.env || fail "the lab's demo: $(grep CLU_DEMO_DIR= helper.env)"
# The nodes run the installed demo's daemon and agent.
for n in n1 n2 n3; do
	cmp -s "$state/nodes/$n/opt-clupdate-mail/bin/maild" "$demo/maild-1" ||
		fail "$n's maild is not the installed demo's maild-1"
	cmp -s "$state/nodes/$n/ocf-clupdate/maild" "$demo/ocf/maild" ||
		fail "$n's OCF agent is not the installed demo's"
done
# Pacemaker fences with the packaged agent: started, and the lab left the
# package's file alone.
on n1 crm_mon --output-as=xml >mon.xml 2>&1 || fail "crm_mon: $(cat mon.xml)"
grep -q 'resource_agent="stonith:fence_clupdate_lab" role="Started"' mon.xml ||
	fail "the fence device is not started: $(grep -i fence mon.xml)"
[[ $(dpkg-query -S /usr/sbin/fence_clupdate_lab) == "clupdate: /usr/sbin/fence_clupdate_lab" ]] ||
	fail "/usr/sbin/fence_clupdate_lab is not the package's"
owner=$(owner_of mail) && [[ -n $owner ]] || fail "mail is not running after lab up"

# The demo's service pack, applied under its SMTP probe (every 50 ms from
# the client namespace). Every file the apply and what it started (the
# installers in the nodes, the probe, the delivery check) opened or ran
# is recorded, to show none is the source tree's. What the apply started
# may outlive it (the installer restarts maild on the owner, a daemon of
# the cluster's from then on): once the apply has ended (apply.rc), strace
# lets go of it.
manifest=$demo/sp2/sp2.conf
op strace -f -qq -I1 --seccomp-bpf -e trace=execve,execveat,open,openat -o apply.trace \
	sh -c 'clupdate "$@"; echo $? >apply.rc' sh apply "$manifest" --cluster "lab:$LAB" \
	--state-dir journal --yes --output-as json >apply.json 2>apply.err &
tracer=$!
while [[ ! -s apply.rc ]] && kill -0 "$tracer" 2>/dev/null; do sleep 1; done
kill -TERM "$tracer" 2>/dev/null || true
wait "$tracer" || true
[[ $(cat apply.rc 2>/dev/null) == 0 ]] || fail "apply on the lab: $(tail -30 apply.err)"
[[ $(jq -r .run.state apply.json) == succeeded ]] || fail "run state: $(jq -c .run apply.json)"
src=$(realpath "$SRCDIR")
if grep -F "\"$src/" apply.trace >from-src.txt; then
	fail "the apply used the source tree: $(head -5 from-src.txt)"
fi
grep -qF "execve(\"$demo/sp2/install\"" apply.trace ||
	fail "the installed demo's installer never ran (trace: $(grep -c execve apply.trace) execs)"
note "the apply opened or ran $(wc -l <apply.trace) files, none in $src"

# Every node at version 2, binary and attribute.
for n in n1 n2 n3; do
	[[ $(on "$n" /opt/clupdate-mail/bin/maild --version) == 2 ]] || fail "$n: maild is not 2"
	[[ $(on n1 crm_attribute --node "$n" --name mail-version --query --quiet) == 2 ]] ||
		fail "$n: its mail-version attribute is not 2"
done

# The report: what users saw, no acknowledged message lost; in text and
# HTML, as the demo writes it.
op clupdate report last --state-dir journal >report.txt || fail "report"
op clupdate report last --state-dir journal --output-as json >report.json || fail "report json"
op clupdate report last --state-dir journal --output-as html >report.html || fail "report html"
acked=$(jq .report.acknowledged report.json)
((acked > 0)) || fail "no message acknowledged: $(cat report.txt)"
[[ $(jq .report.lost report.json) == 0 ]] || fail "lost messages (or not checked): $(cat report.txt)"
[[ $(jq '.report.outages | length' report.json) == 1 ]] || fail "expected one outage: $(cat report.txt)"
grep -qi '<html' report.html || fail "the HTML report: $(head -c 300 report.html)"
cat report.txt >&2
note "sp2 on $owner's lab: $acked messages acknowledged, 0 lost," \
	"outage $(jq '.report.outages[0].duration_ms' report.json) ms"

# Down, the lab leaves the package's fence agent as it was installed.
op clupdate lab down --name "$LAB" >lab-down.log 2>&1 || fail "lab down: $(tail -20 lab-down.log)"
lab_is_up=no
[[ ! -e $state ]] || fail "lab down left $state"
dpkg --verify clupdate >verify.txt 2>&1 || fail "the lab changed the package's files: $(cat verify.txt)"
cd ..

trap - EXIT
purge || fail "purge: $(tail -20 purge.log)"
[[ $(pkg_state) == not-installed ]] || fail "still there after the purge: $(pkg_state)"
snapshot >after.txt
diff before.txt after.txt >left.txt || fail "the purge left or removed files: $(head -20 left.txt)"
if [[ -z $(other_labs) ]]; then
	for d in "${lab_host_dirs[@]}"; do
		[[ ! -e $d ]] || grep -qxF "$d" <<<"$lab_dirs_before" || fail "no lab is up, yet $d is left"
	done
else
	note "other labs are up ($(other_labs | wc -l)): the lab's host directories stay for them"
fi
rm -rf "${marker%/*}"
