#!/bin/sh
# Runs every test program and integration script given as arguments and
# prints the summary line. Each emits "ok NAME" / "FAIL NAME" / "skip NAME"
# lines (tests/t.h, tests/integration/lib.sh); a program that dies or exits
# non-zero without a FAIL line counts as one failure. Exit status 77 = skip.
# Full output is kept in $OUT/test-logs/.
OUT=${OUT:-.output}
logs=$OUT/test-logs
mkdir -p "$logs"
pass=0 fail=0 skip=0
failed_names=""
for t in "$@"; do
	name=$(basename "$t")
	log=$logs/$name.log
	case $t in
	*.sh) limit=1500 ;;
	*) limit=600 ;;
	esac
	printf '%-44s ' "$name"
	start=$(date +%s)
	OUT=$OUT timeout -k 10 $limit "$t" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^skip ' "$log")
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $name: exit status $rc" >>"$log"
	fi
	[ $rc -eq 77 ] && [ "$p$f$s" = "000" ] && s=1
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	echo "$p passed, $f failed, $s skipped ($(( $(date +%s) - start ))s)"
	if [ "$f" -ne 0 ]; then
		failed_names="$failed_names $name"
		grep -B3 -A8 '^FAIL ' "$log" | tail -40 | sed 's/^/    /'
	fi
done
[ -z "$failed_names" ] || echo "failed:$failed_names (logs in $logs)"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
