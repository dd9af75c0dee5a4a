#!/usr/bin/env bash
# gate_test.sh - the regression gate: captures every workload that has a baseline in
# samples/baseline/ afresh (real kernel, real QEMU, via `make trace`) and diffs it against the
# baseline with the gate's thresholds; also proves the gate fails when behaviour changes.
#
#   gate_test.sh                    the test (`make test`): exit 0 if every workload is within
#   gate_test.sh --rewrite [W...]   `make baseline`: capture W (default: every baselined
#                                   workload), show what changed, replace the baselines
#
# Environment: BUILD (build dir), MAKE, HEAPTRACE (the heaptrace to use), GATE_FLAGS (heaptrace diff thresholds) and
# GATE_TRACE_ARGS (boot arguments of every gate run, e.g. "ops=300" to keep the baselines small);
# see samples/samples.mk. Exit status: 0 ok, 1 regression or failed test, 2 usage, 3 capture failed.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
MAKE=${MAKE:-make}
GATE_FLAGS=${GATE_FLAGS:---max-peak-growth 0% --max-frag-growth 0 --max-examined-growth 0% --fail-on-new-failures --fail-on-new-leaks --fail-on-divergence --fail-on-incomplete --ignore-callers}
GATE_TRACE_ARGS=${GATE_TRACE_ARGS-ops=300}
BASELINE_DIR=samples/baseline
HT=${HEAPTRACE:-$BUILD/asan/bin/heaptrace}
[ -x "$HT" ] || HT=$BUILD/host/bin/heaptrace

# capture WORKLOAD OUT [BOOTARGS]: a fresh trace of WORKLOAD, through the capture pipeline
capture() {
	if ! $MAKE --no-print-directory -s trace WORKLOAD="$1" OUT="$2" \
		TRACE_ARGS="$GATE_TRACE_ARGS${3:+ $3}" >"$T/capture-$1.log" 2>&1 ||
		[ ! -s "$2" ]; then
		echo "gate: capturing workload '$1' failed:" >&2
		tail -15 "$T/capture-$1.log" | sed 's/^/  | /' >&2
		return 1
	fi
}

if [ "${1:-}" = --rewrite ]; then
	shift
	workloads=("$@")
	if [ ${#workloads[@]} = 0 ]; then
		for f in "$BASELINE_DIR"/*.jsonl; do
			[ -e "$f" ] && workloads+=("$(basename "$f" .jsonl)")
		done
	fi
	if [ ${#workloads[@]} = 0 ]; then
		echo "gate: no baselines in $BASELINE_DIR; name the workloads: make baseline BASELINE_WORKLOADS='churn ...'" >&2
		exit 2
	fi
	mkdir -p "$BASELINE_DIR"
	status=0
	for w in "${workloads[@]}"; do
		echo "== $w"
		capture "$w" "$T/$w.jsonl" || { status=3; continue; }
		base=$BASELINE_DIR/$w.jsonl
		if [ -e "$base" ]; then
			if "$HT" diff --report-only --fail-on-divergence --ignore-callers "$base" "$T/$w.jsonl" >/dev/null 2>&1; then
				# the same events: keep the old file (only timestamps and code addresses would change)
				echo "$w: unchanged (same events); baseline kept"
				continue
			fi
			# shellcheck disable=SC2086
			"$HT" diff $GATE_FLAGS "$base" "$T/$w.jsonl"
			echo "$w: CHANGED (above: old baseline vs new); baseline replaced"
		else
			echo "$w: new baseline ($(grep -c '"i":' "$T/$w.jsonl") events)"
		fi
		mv "$T/$w.jsonl" "$base.tmp" && mv "$base.tmp" "$base"
	done
	echo "baselines written to $BASELINE_DIR/; review and commit them with the change that explains them"
	exit $status
fi

baselines=("$BASELINE_DIR"/*.jsonl)
[ -e "${baselines[0]}" ] || { no baselines_exist "none in $BASELINE_DIR"; test_finish; }

for base in "${baselines[@]}"; do
	w=$(basename "$base" .jsonl)
	name="workload_${w}_matches_its_baseline"
	if ! capture "$w" "$T/$w.jsonl"; then
		no "$name" "capture failed"
		continue
	fi
	# shellcheck disable=SC2086
	"$HT" diff $GATE_FLAGS "$base" "$T/$w.jsonl" >"$T/$w.diff" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		ok "$name"
	else
		no "$name" "heaptrace diff exit $rc (run 'make baseline' if the change is intended)"
		sed -n '1,12p;/^verdict/,$p' "$T/$w.diff" | sed 's/^/  | /'
	fi
done

# The gate must be able to fail: a baseline against a copy with one allocation changed
# (it asks for one byte less: the same block, so the heap stays consistent).
base=${baselines[0]}
python3 - "$base" "$T/altered.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
allocs = [n for n, l in enumerate(lines) if '"k":"alloc"' in l and json.loads(l)["size"] > 1]
n = allocs[len(allocs) // 2]
e = json.loads(lines[n])
lines[n] = lines[n].replace('"size":%d,' % e["size"], '"size":%d,' % (e["size"] - 1), 1)
open(sys.argv[2], "w").write("".join(lines))
EOF
# shellcheck disable=SC2086
"$HT" diff $GATE_FLAGS "$base" "$T/altered.jsonl" >"$T/altered.diff" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "first divergence at event" "$T/altered.diff"; then
	ok gate_fails_on_an_altered_event
else
	no gate_fails_on_an_altered_event "exit $rc"
fi

# ... and when the workload runs with another seed (churn draws its operations from it)
if [ -e "$BASELINE_DIR/churn.jsonl" ]; then
	name=gate_fails_on_another_seed
	if capture churn "$T/seed2.jsonl" seed=2; then
		# shellcheck disable=SC2086
		"$HT" diff $GATE_FLAGS "$BASELINE_DIR/churn.jsonl" "$T/seed2.jsonl" >/dev/null 2>&1
		rc=$?
		if [ $rc = 1 ]; then ok $name; else no $name "exit $rc"; fi
	else
		no $name "capture failed"
	fi
fi

# ... and when the workload itself is different (another baseline, if there is one)
if [ ${#baselines[@]} -ge 2 ]; then
	# shellcheck disable=SC2086
	"$HT" diff $GATE_FLAGS "${baselines[0]}" "${baselines[1]}" >/dev/null 2>&1
	rc=$?
	if [ $rc = 1 ]; then ok gate_fails_on_another_workload; else no gate_fails_on_another_workload "exit $rc"; fi
fi

test_finish
