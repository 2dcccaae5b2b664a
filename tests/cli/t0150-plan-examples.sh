# The example manifests for real applications (examples/): each directory
# has its README, its manifest, installer and verify (valid bash), and the
# cluster it is meant for (cluster.ini, static); clupdate plans each on it,
# with the strategy its README explains, and the runbook is the golden one.
source "$SRCDIR/tests/lib/cli.sh"

declare -A want=(
	[postgresql]="in-place pin pre-hook install verify unpin"
	[haproxy]="rolling drain install verify undrain ban move"
	[nfs-drbd]="rolling drain install verify undrain ban move"
	[systemd-shared-disk]="in-place pin install verify unpin"
)
n=0
for dir in "$SRCDIR"/examples/*/; do
	name=$(basename "$dir")
	[[ -n ${want[$name]:-} ]] || fail "examples/$name: not checked here (add it to this test)"
	[[ -s $dir/README.md ]] || fail "examples/$name has no README.md"
	for script in install verify; do
		[[ -x $dir/$script ]] || fail "examples/$name/$script is not executable"
		bash -n "$dir/$script" || fail "examples/$name/$script: syntax"
	done
	manifests=("$dir"*.conf)
	((${#manifests[@]} == 1)) || fail "examples/$name: expected one manifest"
	"$CLUPDATE" plan "${manifests[0]}" --cluster "static:$dir/cluster.ini" >plan.txt 2>err.txt ||
		fail "plan examples/$name: $(cat err.txt)"
	golden "plan-example-$name.txt" plan.txt
	"$CLUPDATE" plan "${manifests[0]}" --cluster "static:$dir/cluster.ini" --output-as json \
		>plan.json || fail "plan examples/$name as json"
	read -r strategy actions <<<"${want[$name]}"
	[[ $(jq -r .plan.strategy plan.json) == "$strategy" ]] ||
		fail "examples/$name: strategy $(jq -r .plan.strategy plan.json), expected $strategy"
	got=$(jq -r '[.plan.steps[].action] | unique | join(" ")' plan.json)
	for action in $actions; do
		[[ " $got " == *" $action "* ]] || fail "examples/$name: no '$action' step ($got)"
	done
	n=$((n + 1))
done
((n == ${#want[@]})) || fail "only $n examples found"
