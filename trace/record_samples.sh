#!/usr/bin/env bash
# record_samples.sh - re-records the small traces in samples/ (`make record-samples`):
# each is a real capture of a sample workload, cut small with ops=, decoded and
# symbolised against build/kernel.elf. Each must stay under 200 KB.
set -eu
BUILD=${BUILD:-build}
ELF=$BUILD/kernel.elf
HT=$BUILD/host/bin/heaptrace
# name  workload  channel  boot arguments
while read -r name workload channel args; do
	[ -z "$name" ] && continue
	echo "== samples/$name.jsonl ($workload over $channel: $args)"
	status=0
	trace/capture.sh "$ELF" "$HT" "$workload" "$channel" "samples/$name.jsonl" $args >"$BUILD/record-$name.log" 2>&1 || status=$?
	# the panic sample ends in a panic on purpose (kernel status 2)
	if [ $status != 0 ] && ! { [ "$workload" = panic ] && [ $status = 2 ]; }; then
		tail -5 "$BUILD/record-$name.log" >&2
		exit 1
	fi
	size=$(stat -c %s "samples/$name.jsonl")
	echo "   $(grep -c '"i":' "samples/$name.jsonl") events, $size bytes"
	[ "$size" -lt 204800 ] || { echo "samples/$name.jsonl is over 200 KB" >&2; exit 1; }
done <<'LIST'
frag       frag       semihosting
vector     vector     semihosting ops=4000 trace.depth=8
churn-small churn     uart        ops=600 seed=3
lifetimes-small lifetimes semihosting ops=450
panic      panic      semihosting ops=300
drops      churn      semihosting ops=1500 trace.buf=512 trace.defer=1
instret    frag       semihosting trace.instret=1
LIST
