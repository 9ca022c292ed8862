#!/bin/sh
# make bench: runs every benchmark given as an argument and shows its
# figures. Benchmarks report numbers and ratios; nothing here passes or
# fails on speed. A benchmark that cannot run (not root, tool missing)
# says so and the next one runs.
OUT=${OUT:-.output}
export OUT
[ $# -gt 0 ] || { echo "no benchmarks built"; exit 0; }
for b in "$@"; do
	echo "=== $(basename "$b")"
	"$b" || echo "($(basename "$b") exited with status $?)"
	echo
done
