# The installer of the demo mail service's service packs, "Update.exe":
# sourced by spN/install, which sets
#   SP_VERSION       the maild version this pack installs
#   SP_STORE_FORMAT  the store format that version serves
#   SP_MIGRATE       yes: this pack upgrades an older store on the owner
#   SP_SERVICE_PAUSE_MS  optional: how long this pack's work keeps the service
#                    down (default 300; MAIL_SERVICE_PAUSE_MS overrides it)
# and, for the demo's rollback (sp-common/rollback), which puts an older
# maild back:
#   SP_ROLLBACK      yes: a node with a newer maild is expected, not refused
#   SP_PAYLOAD       the maild to install (default: the pack's own maild)
#   SP_PACK          its name in messages (default mail-spVERSION)
# A store newer than the format this maild serves is refused on the node
# that holds it (a rollback needs the store down-migrated first).
#
# On this node it stops every instance of maild that runs here (via its
# pidfile, waiting until it exited; see instance_dirs below), installs the
# pack's maild into the node-private prefix, migrates each store this node
# holds (the store is mounted here: STORE/FORMAT exists), restarts each
# instance the way the cluster had started it (the parameters the OCF agent
# recorded in maild.params), and records the version in the node attribute. clupdate runs it while the group is
# unmanaged, so the cluster does not react to the stop.
#
# It logs the instants of the stop and the restart on stdout, as
#   maild stopped at mono_ms=<CLOCK_MONOTONIC ms> real=<ISO time>
#   maild started at mono_ms=... real=...
# for clupdate to set against the outage its probes measured.
#
# Idempotent: on a node already updated it changes nothing and exits 0.
# Crash-safe: the parameters of a daemon it stopped are kept in
# maild.restart (next to its maild.params) until it restarted it, so a re-run after a crash
# brings the service back.
#
# Environment (overrides for tests outside a cluster):
#   MAIL_PREFIX        default /opt/clupdate-mail
#   MAIL_STORE         the default instance's store (default: the store of its
#                      maild.params, else /srv/clupdate-mail)
#   MAIL_RUN           default /run/clupdate-mail (maild.params, maild.pid of the
#                      default instance; RUN/INSTANCE/ of any further one)
#   MAIL_SERVICE_PAUSE_MS  time the service stays down between stop and restart,
#                      standing for a real installer's work (default
#                      SP_SERVICE_PAUSE_MS, else 300; 0: none)
#   MAIL_ATTRIBUTE     default mail-version
#   MAIL_NO_ATTRIBUTE  1: do not call crm_attribute (tests only)
# A test's power loss in the half-installed window: while PREFIX/HOLD-
# BEFORE-MIGRATION exists, the installer holds there (new maild, store not
# migrated yet), with PREFIX/HELD-BEFORE-MIGRATION to say so (t1110).
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

# One instance's parameters (load_instance): the agent's defaults, then a
# key=value file.
declare -A param=()
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

# Every instance of maild on this node: the default one, whose pidfile and
# maild.params are in RUN, and each further one (a second group of the same
# service, e.g. the lab's mail2) that the agent started with its pidfile in
# RUN/INSTANCE/. One binary serves them all: the update stops every instance
# running here, installs once, migrates each store held here, restarts them.
instance_dirs() {
	local dir
	echo "$rundir"
	for dir in "$rundir"/*/; do
		[[ -f $dir/maild.params || -f $dir/maild.restart ]] && echo "${dir%/}"
	done
	return 0
}

# load_instance DIR: param[], and for the instance in DIR: pending (a restart
# an earlier run left to do), pid (empty if not running here), store and
# its format here (none when the store is not mounted on this node).
load_instance() {
	local dir=$1
	param=(
		[binary]=$prefix/bin/maild [store]=/srv/clupdate-mail [ip]=0.0.0.0
		[port]=25 [pidfile]=$dir/maild.pid [log]=$dir/maild.log
	)
	pending=no
	if [[ -f $dir/maild.restart ]]; then
		read_params "$dir/maild.restart"
		pending=yes
	elif [[ -f $dir/maild.params ]]; then
		read_params "$dir/maild.params"
	fi
	pid=
	if pid=$(maild_pid); then
		if [[ ! -f $dir/maild.params && ! -f $dir/maild.restart ]] && ! params_from_cmdline "$pid"; then
			die "maild (pid $pid) runs without '$dir/maild.params', and its command line" \
				"does not say how to restart it"
		fi
	fi
	store=${param[store]}
	[[ $dir == "$rundir" && -n ${MAIL_STORE:-} ]] && store=$MAIL_STORE
	store_format=none
	if [[ -f $store/FORMAT ]]; then
		store_format=$("$payload" --store-format "$store") ||
			die "cannot read the format of store '$store'"
	fi
}

# What each instance needs, found before anything is touched. A running
# instance is stopped when the binary changes, its store is migrated, or it
# still runs a binary since replaced; one that runs the current binary on a
# current store is left alone (a re-run that restarts another instance).
declare -a inst_dirs=() inst_stop=() inst_pending=() inst_migrate=()
binary_current=no
[[ $installed == "$SP_VERSION" ]] && cmp -s "$payload" "$prefix/bin/maild" && binary_current=yes
up_to_date=$binary_current
mapfile -t dirs < <(instance_dirs)
for dir in "${dirs[@]}"; do
	load_instance "$dir"
	migrate=no
	if [[ $store_format =~ ^[0-9]+$ ]] && ((store_format > SP_STORE_FORMAT)); then
		die "store '$store' is at format $store_format, newer than maild $SP_VERSION serves" \
			"($SP_STORE_FORMAT): down-migrate it first"
	fi
	if [[ $store_format =~ ^[0-9]+$ ]] && ((store_format < SP_STORE_FORMAT)); then
		[[ $SP_MIGRATE == yes ]] ||
			die "store '$store' is at format $store_format, and this service pack does not" \
				"migrate it (maild $SP_VERSION needs format $SP_STORE_FORMAT: apply the" \
				"pack that migrates it first)"
		migrate=yes
	fi
	stop=no
	# (/proc/PID/exe names the inode the daemon runs, even if replaced)
	[[ -n $pid ]] && { [[ $binary_current == no || $migrate == yes ]] ||
		! [[ /proc/$pid/exe -ef $prefix/bin/maild ]]; } && stop=yes
	[[ $migrate == no && $pending == no && $stop == no ]] || up_to_date=no
	inst_dirs+=("$dir")
	inst_stop+=("$stop")
	inst_pending+=("$pending")
	inst_migrate+=("$migrate")
done

if [[ $up_to_date == yes ]]; then
	say "maild $SP_VERSION is already installed on this node: nothing to do"
	set_attribute
	exit 0
fi

# --- the update: stop, install, migrate, restart ---

for i in "${!inst_dirs[@]}"; do
	dir=${inst_dirs[i]}
	[[ ${inst_stop[i]} == yes ]] || continue
	load_instance "$dir"
	[[ -n $pid ]] || continue
	# Recorded before the stop: a crash from here on still restarts it.
	write_params "$dir/maild.restart" || die "cannot write '$dir/maild.restart'"
	inst_pending[i]=yes
	say "stopping maild (pid $pid)"
	# The service stops serving at SIGTERM (it closes its listener at once),
	# not when the process is seen gone: stamp the instant before the signal.
	stopped=$(stamp)
	stop_maild "$pid" || die "maild (pid $pid) does not stop"
	echo "maild stopped at $stopped"
done

mkdir -p "$prefix/bin" || die "cannot create '$prefix/bin'"
cp "$payload" "$prefix/bin/.maild.new" && chmod 0755 "$prefix/bin/.maild.new" &&
	mv -f "$prefix/bin/.maild.new" "$prefix/bin/maild" ||
	die "cannot install maild into '$prefix/bin'"
echo "$SP_VERSION" >"$prefix/.VERSION.new" && mv -f "$prefix/.VERSION.new" "$prefix/VERSION" ||
	die "cannot write '$prefix/VERSION'"
say "maild $SP_VERSION installed in $prefix"

# A real installer spends time with the service down (registering the new
# version, its post-install steps); the demo's own swap takes a few
# milliseconds. This pause stands for that work, so that the outage the
# probes see is realistic and longer than their interval (50 ms).
# MAIL_SERVICE_PAUSE_MS=0 measures the bare swap. It comes between the new
# maild and the migration of the store, as a real pack's work would: a
# node that loses its power here has maild $SP_VERSION and the old store,
# which that maild refuses until this installer has run again (t1110 kills
# the owner in this window).
if [[ " ${inst_pending[*]} " == *" yes "* ]]; then
	pause_ms=${MAIL_SERVICE_PAUSE_MS:-${SP_SERVICE_PAUSE_MS:-300}}
	[[ $pause_ms =~ ^[0-9]+$ ]] || die "MAIL_SERVICE_PAUSE_MS='$pause_ms' is not a number of milliseconds"
	((pause_ms == 0)) || sleep "$((pause_ms / 1000)).$(printf '%03d' $((pause_ms % 1000)))"
fi
# A power loss is instant; a test's kill of the node takes longer than the
# window, so a test has the installer hold in it (see the top).
if [[ " ${inst_migrate[*]} " == *" yes "* && -e $prefix/HOLD-BEFORE-MIGRATION ]]; then
	say "holding before the migration while '$prefix/HOLD-BEFORE-MIGRATION' exists"
	: >"$prefix/HELD-BEFORE-MIGRATION"
	while [[ -e $prefix/HOLD-BEFORE-MIGRATION ]]; do sleep 0.05; done
	rm -f "$prefix/HELD-BEFORE-MIGRATION"
fi

for i in "${!inst_dirs[@]}"; do
	[[ ${inst_migrate[i]} == yes ]] || continue
	load_instance "${inst_dirs[i]}"
	say "migrating store '$store' from format $store_format to format $SP_STORE_FORMAT"
	out=$("$prefix/bin/maild" --migrate-store "$store" 2>&1) ||
		die "migration of store '$store' failed: ${out#maild: }" \
			"(re-running this installer resumes it)"
	say "$out"
done

for i in "${!inst_dirs[@]}"; do
	dir=${inst_dirs[i]}
	[[ ${inst_pending[i]} == yes ]] || continue
	load_instance "$dir"
	[[ ${param[binary]} -ef $prefix/bin/maild ]] ||
		echo "$pack: warning: maild was started from '${param[binary]}', not" \
			"'$prefix/bin/maild'; restarting it the same way" >&2
	start_maild || die "maild is down on this node; re-running this installer retries the start"
	echo "maild started at $(stamp)"
	rm -f "$dir/maild.restart"
	pid=$(maild_pid) && say "maild $SP_VERSION running (pid $pid)"
done

set_attribute
say "done"
exit 0
