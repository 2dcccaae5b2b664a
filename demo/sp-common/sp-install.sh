# The installer of the demo mail service's service packs, "Update.exe":
# sourced by spN/install, which sets
#   SP_VERSION       the maild version this pack installs
#   SP_STORE_FORMAT  the store format that version serves
#   SP_MIGRATE       yes: this pack upgrades an older store on the owner
# and, for the demo's rollback (sp-common/rollback), which puts an older
# maild back:
#   SP_ROLLBACK      yes: a node with a newer maild is expected, not refused
#   SP_PAYLOAD       the maild to install (default: the pack's own maild)
#   SP_PACK          its name in messages (default mail-spVERSION)
# A store newer than the format this maild serves is refused on the node
# that holds it (a rollback needs the store down-migrated first).
#
# On this node it stops maild if it runs here (via the pidfile, waiting
# until it exited), installs the pack's maild into the node-private prefix,
# migrates the store if this node holds it (the store is mounted here:
# STORE/FORMAT exists), restarts maild the way the cluster had started it
# (the parameters the OCF agent recorded in maild.params), and records the
# version in the node attribute. clupdate runs it while the group is
# unmanaged, so the cluster does not react to the stop.
#
# It logs the instants of the stop and the restart on stdout, as
#   maild stopped at mono_ms=<CLOCK_MONOTONIC ms> real=<ISO time>
#   maild started at mono_ms=... real=...
# for clupdate to set against the outage its probes measured.
#
# Idempotent: on a node already updated it changes nothing and exits 0.
# Crash-safe: the parameters of a daemon it stopped are kept in
# RUN/maild.restart until it restarted it, so a re-run after a crash
# brings the service back.
#
# Environment (overrides for tests outside a cluster):
#   MAIL_PREFIX        default /opt/clupdate-mail
#   MAIL_STORE         default: the store of maild.params, else /srv/clupdate-mail
#   MAIL_RUN           default /run/clupdate-mail (maild.params, maild.pid)
#   MAIL_SERVICE_PAUSE_MS  time the service stays down between stop and restart,
#                      standing for a real installer's work (default 300; 0: none)
#   MAIL_ATTRIBUTE     default mail-version
#   MAIL_NO_ATTRIBUTE  1: do not call crm_attribute (tests only)
# It appends a line to PREFIX/where.log saying which machine ran it.
#   CLU_VERSION        set by clupdate: must be SP_VERSION
# Exit status: 0 installed (or already), 1 failed (the message says why).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pack=${SP_PACK:-mail-sp$SP_VERSION}
prefix=${MAIL_PREFIX:-/opt/clupdate-mail}
rundir=${MAIL_RUN:-/run/clupdate-mail}
attribute=${MAIL_ATTRIBUTE:-mail-version}
payload=${SP_PAYLOAD:-$here/maild}
params_file=$rundir/maild.params
restart_file=$rundir/maild.restart

say() { echo "$pack: $*"; }
die() {
	echo "$pack: error: $*" >&2
	exit 1
}
stamp() { "$here/stamp" || die "cannot read the clock ('$here/stamp')"; }

# Which machine ran this, in the node's own PREFIX/where.log: the proof that
# each node's installer ran on that node (host name, network namespace,
# and whether it came over ssh).
log_where() {
	echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $1 node=${CLU_NODE:-} host=$(uname -n)" \
		"netns=$(readlink /proc/self/ns/net) via=${SSH_CONNECTION:+ssh}" \
		>>"$prefix/where.log" 2>/dev/null || true
}
mkdir -p "$prefix" 2>/dev/null && log_where "$pack install"

# The daemon's parameters: the agent's defaults, then a key=value file.
declare -A param=(
	[binary]=$prefix/bin/maild [store]=/srv/clupdate-mail [ip]=0.0.0.0
	[port]=25 [pidfile]=$rundir/maild.pid [log]=$rundir/maild.log
)
read_params() {
	local key value
	while IFS='=' read -r key value; do
		case $key in
		binary | store | ip | port | pidfile | log) param[$key]=$value ;;
		esac
	done <"$1"
}

write_params() {
	local key
	for key in binary store ip port pidfile log; do
		echo "$key=${param[$key]}"
	done >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# A daemon started by hand has no maild.params: read its command line.
params_from_cmdline() {
	local -a argv
	local i listen=
	mapfile -d '' argv 2>/dev/null <"/proc/$1/cmdline" || return 1
	param[binary]=${argv[0]}
	for ((i = 1; i < ${#argv[@]} - 1; i++)); do
		case ${argv[i]} in
		--listen) listen=${argv[i + 1]} ;;
		--store) param[store]=${argv[i + 1]} ;;
		--pidfile) param[pidfile]=${argv[i + 1]} ;;
		--log) param[log]=${argv[i + 1]} ;;
		esac
	done
	[[ -n $listen ]] || return 1
	param[port]=${listen##*:}
	listen=${listen%:*}
	listen=${listen#[}
	param[ip]=${listen%]}
}

# The running daemon's pid from the pidfile: alive, not a zombie, a maild.
maild_pid() {
	local pid stat comm
	read -r pid 2>/dev/null <"${param[pidfile]}" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
	stat=${stat##*) }
	[[ $stat != [ZX]* ]] || return 1
	read -r comm 2>/dev/null <"/proc/$pid/comm" || return 1
	[[ $comm == maild* ]] || return 1
	echo "$pid"
}

# Whether that very process still runs (not its pidfile: the store is
# free only once the process is gone, and a zombie has let go of it).
process_alive() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ $stat != [ZX]* ]]
}

stop_maild() {
	local pid=$1 steps
	kill -TERM "$pid" 2>/dev/null
	# 20 ms steps: the stop is part of the outage users see.
	for ((steps = 0; steps < 1500; steps++)); do
		process_alive "$pid" || return 0
		sleep 0.02
	done
	echo "$pack: maild (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null
	for ((steps = 0; steps < 250; steps++)); do
		process_alive "$pid" || return 0
		sleep 0.02
	done
	return 1
}

start_maild() {
	local listen=${param[ip]}:${param[port]} out
	[[ ${param[ip]} == *:* ]] && listen="[${param[ip]}]:${param[port]}"
	mkdir -p "$(dirname "${param[pidfile]}")" || return 1
	# maild returns once it listens: no polling needed.
	out=$("${param[binary]}" --listen "$listen" --store "${param[store]}" \
		--pidfile "${param[pidfile]}" --log "${param[log]}" 2>&1) || {
		echo "$pack: error: maild did not start: ${out#maild: }" >&2
		return 1
	}
}

set_attribute() {
	local node current
	if [[ ${MAIL_NO_ATTRIBUTE:-0} == 1 ]]; then
		return 0
	fi
	node=$(crm_node -n) || die "cannot learn this node's cluster name (crm_node -n)"
	current=$(crm_attribute --node "$node" --name "$attribute" --query --quiet 2>/dev/null)
	[[ $current == "$SP_VERSION" ]] && return 0
	crm_attribute --node "$node" --name "$attribute" --update "$SP_VERSION" \
		--lifetime forever ||
		die "cannot set node attribute '$attribute' of node '$node' to '$SP_VERSION'"
	say "node attribute '$attribute' of node '$node' set to $SP_VERSION"
}

# --- checks that come before touching anything ---

if [[ -n ${CLU_VERSION:-} && $CLU_VERSION != "$SP_VERSION" ]]; then
	die "clupdate asked for version '$CLU_VERSION', but this service pack installs $SP_VERSION"
fi
[[ -x $payload && -x $here/stamp ]] || die "incomplete service pack in '$here' (maild, stamp)"
payload_version=$("$payload" --version) || die "'$payload --version' failed"
[[ $payload_version == "$SP_VERSION" ]] ||
	die "'$payload' is version '$payload_version', not $SP_VERSION"

installed=none
[[ -r $prefix/VERSION ]] && read -r installed <"$prefix/VERSION"
if [[ ${SP_ROLLBACK:-no} != yes && $installed =~ ^[0-9]+$ ]] && ((installed > SP_VERSION)); then
	die "this node already has maild $installed, newer than this service pack ($SP_VERSION)"
fi

pending_restart=no
if [[ -f $restart_file ]]; then
	read_params "$restart_file"
	pending_restart=yes
elif [[ -f $params_file ]]; then
	read_params "$params_file"
fi
running=no
if pid=$(maild_pid); then
	running=yes
	if [[ ! -f $params_file && ! -f $restart_file ]] && ! params_from_cmdline "$pid"; then
		die "maild (pid $pid) runs without '$params_file', and its command line" \
			"does not say how to restart it"
	fi
fi
store=${MAIL_STORE:-${param[store]}}

# This node holds the store when it is mounted here, i.e. it has a FORMAT.
store_format=none
if [[ -f $store/FORMAT ]]; then
	store_format=$("$payload" --store-format "$store") ||
		die "cannot read the format of store '$store'"
fi
needs_migration=no
if [[ $store_format =~ ^[0-9]+$ ]] && ((store_format > SP_STORE_FORMAT)); then
	die "store '$store' is at format $store_format, newer than maild $SP_VERSION serves" \
		"($SP_STORE_FORMAT): down-migrate it first"
fi
if [[ $store_format =~ ^[0-9]+$ ]] && ((store_format < SP_STORE_FORMAT)); then
	[[ $SP_MIGRATE == yes ]] ||
		die "store '$store' is at format $store_format, and this service pack does not" \
			"migrate it (maild $SP_VERSION needs format $SP_STORE_FORMAT: apply the" \
			"pack that migrates it first)"
	needs_migration=yes
fi

# Up to date: the binary, the store, and a daemon (if any) running that
# very binary (/proc/PID/exe names the inode it runs, even if replaced).
if [[ $installed == "$SP_VERSION" && $needs_migration == no && $pending_restart == no ]] &&
	cmp -s "$payload" "$prefix/bin/maild" &&
	{ [[ $running == no ]] || [[ /proc/$pid/exe -ef $prefix/bin/maild ]]; }; then
	say "maild $SP_VERSION is already installed on this node: nothing to do"
	set_attribute
	exit 0
fi

# --- the update: stop, install, migrate, restart ---

if [[ $running == yes ]] && pid=$(maild_pid); then
	# Recorded before the stop: a crash from here on still restarts it.
	write_params "$restart_file" || die "cannot write '$restart_file'"
	pending_restart=yes
	say "stopping maild (pid $pid)"
	# The service stops serving at SIGTERM (it closes its listener at once),
	# not when the process is seen gone: stamp the instant before the signal.
	stopped=$(stamp)
	stop_maild "$pid" || die "maild (pid $pid) does not stop"
	echo "maild stopped at $stopped"
fi

mkdir -p "$prefix/bin" || die "cannot create '$prefix/bin'"
cp "$payload" "$prefix/bin/.maild.new" && chmod 0755 "$prefix/bin/.maild.new" &&
	mv -f "$prefix/bin/.maild.new" "$prefix/bin/maild" ||
	die "cannot install maild into '$prefix/bin'"
echo "$SP_VERSION" >"$prefix/.VERSION.new" && mv -f "$prefix/.VERSION.new" "$prefix/VERSION" ||
	die "cannot write '$prefix/VERSION'"
say "maild $SP_VERSION installed in $prefix"

if [[ $needs_migration == yes ]]; then
	say "migrating store '$store' from format $store_format to format $SP_STORE_FORMAT"
	out=$("$prefix/bin/maild" --migrate-store "$store" 2>&1) ||
		die "migration of store '$store' failed: ${out#maild: }" \
			"(re-running this installer resumes it)"
	say "$out"
fi

if [[ $pending_restart == yes ]]; then
	# A real installer spends time with the service down (registering the
	# new version, its post-install steps); the demo's own swap takes a few
	# milliseconds. This pause stands for that work, so that the outage the
	# probes see is realistic and longer than their interval (50 ms).
	# MAIL_SERVICE_PAUSE_MS=0 measures the bare swap.
	pause_ms=${MAIL_SERVICE_PAUSE_MS:-300}
	[[ $pause_ms =~ ^[0-9]+$ ]] || die "MAIL_SERVICE_PAUSE_MS='$pause_ms' is not a number of milliseconds"
	((pause_ms == 0)) || sleep "$((pause_ms / 1000)).$(printf '%03d' $((pause_ms % 1000)))"
	[[ ${param[binary]} -ef $prefix/bin/maild ]] ||
		echo "$pack: warning: maild was started from '${param[binary]}', not" \
			"'$prefix/bin/maild'; restarting it the same way" >&2
	start_maild || die "maild is down on this node; re-running this installer retries the start"
	echo "maild started at $(stamp)"
	rm -f "$restart_file"
	pid=$(maild_pid) && say "maild $SP_VERSION running (pid $pid)"
fi

set_attribute
say "done"
exit 0
