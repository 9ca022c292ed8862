#!/bin/sh
# Runs every built libFuzzer target for a short while from its seed corpus
# (tests/fuzz/corpus/NAME/ if present). A crash or leak is a failure.
OUT=${OUT:-.output}
secs=${FUZZ_SECONDS:-15}
found=0
for f in "$OUT"/fuzz/*; do
	[ -x "$f" ] || continue
	found=1
	name=$(basename "$f")
	corpus=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    "$work" >"$work.log" 2>&1; then
		echo "ok fuzz-$name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" || tail -1 "$work.log"))"
	else
		echo "FAIL fuzz-$name"
		tail -30 "$work.log"
	fi
	rm -rf "$work" "$work.log"
done
[ $found = 1 ] || { echo "skip fuzz (no targets built)"; exit 0; }
