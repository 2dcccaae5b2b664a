# The version guard as users' data sees it, sampled from outside clupdate:
# every 200 ms a crm_mon snapshot and, right after it, the store's format
# and each node's installed maild version. A sample in which a member of
# 'mail' is Started on a node whose installed version is older than the
# data (format 1: any maild; format 2: maild 2 or newer) is a breach of the
# guard. The versions are read after crm_mon, and an installer writes its
# binary's VERSION before it migrates the store: a correct update never
# shows a breach, whatever instant the sample falls on.
#
# Sourced by lab tests (after tests/lib/lab.sh: needs LAB, LAB_ROOT).
#   guard_sampler_start DIR   start sampling into DIR (in the background)
#   guard_sampler_stop        stop it and wait for it
#   guard_breaches DIR        the samples that breach the guard, one a line:
#                             "T_MS SAMPLE data=D NODE=INSTALLED ..." (none: empty)
#   guard_samples DIR         how many samples were taken

GUARD_SAMPLER_PID=

# One long-lived shell inside n1 (paths from the lab's layout file): a
# 'lab exec' per sample costs 100 ms of CPU more, on a 2-core machine.
guard_sampler_start() {
	local dir=$1 ns nodes=() n
	read -ra ns < <(awk '$1 == "node" && $2 == "n1" { print $3, $4, $5 }' "$LAB_ROOT/$LAB/layout")
	((${#ns[@]} == 3)) || fail "no node n1 in $LAB_ROOT/$LAB/layout"
	for n in $(awk '$1 == "node" { print $2 }' "$LAB_ROOT/$LAB/layout"); do nodes+=("$n"); done
	mkdir -p "$dir/mon"
	rm -f "$dir/stop"
	nsenter --net="${ns[0]}" --mount="${ns[1]}" --uts="${ns[2]}" --wd=/ -- bash -c '
		dir=$1 store=$2 nodes=$3
		shift 3
		ms() { echo $(($(date +%s%N) / 1000000)); }
		for ((i = 0; ; i++)); do
			[[ -e $dir/stop ]] && break
			t=$(ms)
			timeout 5 crm_mon --one-shot --output-as=xml \
				>"$(printf "%s/mon/%05d.xml" "$dir" "$i")" 2>/dev/null
			line="$t $i $(cat "$store/FORMAT" 2>/dev/null || echo none)"
			for n; do
				line+=" $n=$(cat "$nodes/$n/opt-clupdate-mail/VERSION" 2>/dev/null || echo 0)"
			done
			echo "$line" >>"$dir/raw"
			left=$((t + 200 - $(ms)))
			((left <= 0)) || sleep "$(printf "0.%03d" "$left")"
		done' sampler "$dir" "$LAB_ROOT/$LAB/store" "$LAB_ROOT/$LAB/nodes" "${nodes[@]}" &
	GUARD_SAMPLER_PID=$!
	GUARD_SAMPLER_DIR=$dir
}

guard_sampler_stop() {
	[[ -n $GUARD_SAMPLER_PID ]] || return 0
	touch "$GUARD_SAMPLER_DIR/stop"
	wait "$GUARD_SAMPLER_PID" || true
	GUARD_SAMPLER_PID=
}

guard_samples() { wc -l <"$1/raw" 2>/dev/null || echo 0; }

guard_breaches() {
	local dir=$1 t i fmt versions data hosts n inst
	while read -r t i fmt versions; do
		case $fmt in 1) data=1 ;; 2) data=2 ;; *) continue ;; esac
		# The nodes where a member of mail is Started in this snapshot.
		hosts=$(awk '
			/<group id="mail"/ { ing = 1 }
			ing && /<\/group>/ { ing = 0 }
			ing && /<resource / { started = /role="Started"/ }
			ing && started && /<node name="/ { match($0, /name="[^"]*"/); print substr($0, RSTART + 6, RLENGTH - 7) }
			' "$(printf '%s/mon/%05d.xml' "$dir" "$i")" | sort -u)
		for n in $hosts; do
			inst=$(tr ' ' '\n' <<<"$versions" | sed -n "s/^$n=//p")
			((${inst:-0} >= data)) || echo "$t $i data=$data $versions (mail started on $n)"
		done
	done <"$dir/raw"
	return 0
}
