# The Debian package on this machine: installed with apt-get (its
# dependencies already there, or fetched), it answers --version and help,
# its man pages render through man, its bash completion completes, the
# demo it ships plans and applies from the installed paths (on a simulated
# cluster), `clupdate lab` finds its script there; purged, it leaves no
# file behind (the file lists of /usr, /etc, /opt and /var/lib before and
# after are the same).
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
((EUID == 0)) || fail "needs root: it installs and purges the package"
[[ -f $DEB ]] || fail "no package '$DEB'"
if dpkg-query -W -f='${Status}' clupdate 2>/dev/null | grep -q installed; then
	fail "clupdate is installed on this machine already: this test would remove it"
fi
version=$(dpkg-deb -f "$DEB" Version)
apt_opts=(-y -qq -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive

# What may change while the test runs without being the package's: labs,
# package managers' own state, caches, logs.
snapshot() {
	find /usr /etc /opt /var/lib -xdev \
		\( -path /var/lib/clupdate-lab -o -path /var/lib/dpkg -o -path /var/lib/apt \
		   -o -path /var/lib/clupdate -o -path /var/lib/pacemaker -o -path /var/lib/corosync \
		   -o -path /var/lib/ucf -o -path /var/lib/man-db -o -path /etc/ld.so.cache \) -prune \
		-o -print 2>/dev/null | sort
}
snapshot >before.txt
purge() { apt-get purge "${apt_opts[@]}" clupdate >purge.log 2>&1; }
trap 'purge' EXIT

apt-get install "${apt_opts[@]}" "$DEB" >install.log 2>&1 || fail "install: $(tail -20 install.log)"
[[ $(command -v clupdate) == /usr/bin/clupdate ]] || fail "clupdate is not /usr/bin/clupdate"
[[ $(clupdate --version) == "clupdate $version" ]] || fail "--version: $(clupdate --version)"
clupdate help >help.txt || fail "clupdate help failed"
grep -q "^  apply " help.txt || fail "help: $(cat help.txt)"

# The man pages, through man as a user calls it.
MANWIDTH=80 man -P cat clupdate >man.txt 2>man.err || fail "man clupdate: $(cat man.err)"
grep -q "clupdate-apply(1)" man.txt || fail "man clupdate lists no commands"
for page in "1 clupdate-apply" "1 clupdate-lab" "5 clupdate-manifest" "5 clupdate-static"; do
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
clupdate apply "$demo/sp2/sp2.conf" --cluster sim:sim.ini --state-dir state --yes \
	>apply.txt 2>apply.err || fail "apply of the installed demo: $(cat apply.err)"
grep -q "succeeded" apply.txt || fail "apply: $(cat apply.txt)"

# `clupdate lab` runs the installed script (it answers for a lab that is not there).
clupdate lab status --name "nolab$$" >lab.txt 2>&1
grep -q "cannot find the lab script" lab.txt && fail "lab: $(cat lab.txt)"
grep -qi "nolab$$" lab.txt || fail "lab status: $(cat lab.txt)"
clupdate lab --help | grep -q "^usage: clupdate lab up" || fail "clupdate lab --help"

trap - EXIT
purge || fail "purge: $(tail -20 purge.log)"
dpkg-query -W -f='${Status}' clupdate 2>/dev/null | grep -q "installed" &&
	fail "still installed after the purge"
snapshot >after.txt
diff before.txt after.txt >left.txt || fail "the purge left or removed files: $(head -20 left.txt)"
