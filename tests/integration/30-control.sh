#!/bin/sh
# dotsctl and the Prometheus endpoint against a running dotsd (null
# backends, no root needed): a mitigation requested with dots-client shows
# up in "show mitigations", in /metrics by status and per mitigation,
# and goes away with "dotsctl withdraw"; the control socket is mode 0600.
NAME=30-control
. "$(dirname "$0")/lib-signal.sh"
DOTSCTL=${DOTSCTL:-$SRC/$OUT/bin/dotsctl}
CLIENT=${CLIENT:-$SRC/$OUT/bin/dots-client}
[ -x "$DOTSCTL" ] && [ -x "$CLIENT" ] ||
	{ skip "dotsctl or dots-client not built"; exit 77; }
command -v curl >/dev/null || { skip "curl missing"; exit 77; }
sig_setup
MPORT=$((PORT + 1))
sig_conf <<CONF
metrics listen 127.0.0.1 port $MPORT
CONF
sig_start
FAILED=

ctl() { "$DOTSCTL" -s "$T/dotsd.sock" "$@"; }
metrics() { curl -s -m 5 "http://127.0.0.1:$MPORT/metrics"; }

mode=$(stat -c %a "$T/dotsd.sock")
[ "$mode" = 600 ] && ok "control socket mode 600" ||
	fail "control socket mode $mode"

ctl show mitigations >"$T/ctl.out"; rc=$?
[ $rc -eq 0 ] && grep -q "^no mitigations" "$T/ctl.out" &&
	ok "show mitigations, none yet" || fail "empty show: rc $rc"

timeout 30 "$CLIENT" -s "coaps://127.0.0.1:$PORT" --cert "$T/c/client1.pem" \
	--key "$T/c/client1.key" --ca "$T/c/ca.pem" --cuid cuid-ctl \
	request --target 198.18.7.0/24 --mid 42 --lifetime 600 \
	>"$T/client.out" 2>&1 ||
	fail "dots-client request: $(tail -1 "$T/client.out")"

ctl show mitigations >"$T/ctl.out"
grep -q "^one  *cuid-ctl  *42  *attack-[a-z-]*  .*198.18.7.0/24" \
	"$T/ctl.out" && ok "show mitigations table" ||
	fail "show mitigations: $(cat "$T/ctl.out")"

ctl -j show mitigations | python3 -c 'import json, sys
r = json.load(sys.stdin)
m = [x for x in r["result"] if x["mid"] == 42]
sys.exit(0 if r["ok"] and m and m[0]["client"] == "one" else 1)' &&
	ok "show mitigations -j" || fail "show mitigations -j"

ctl show counters >"$T/ctl.out"
awk '$1 == "requests" && $2 >= 1 { f = 1 } END { exit !f }' "$T/ctl.out" &&
	ok "show counters counts the request" ||
	fail "show counters: $(head -2 "$T/ctl.out" | tr '\n' ' ')"

metrics >"$T/metrics"
# the status moves on by itself (in-progress, successfully-mitigated):
# one mitigation, counted under exactly one status
awk '/^dotsd_mitigations\{status="attack-/ { n += $2; s += ($2 > 0) }
    END { exit !(n == 1 && s == 1) }' "$T/metrics" &&
	ok "metrics: mitigation by status" ||
	fail "metrics by status: $(grep '^dotsd_mitigations' "$T/metrics" | tr '\n' ' ')"
grep -q '^dotsd_mitigation_dropped_packets_total{client="one",cuid="cuid-ctl",mid="42"} [0-9]*$' \
	"$T/metrics" && ok "metrics: per-mitigation drops" ||
	fail "metrics per mitigation: $(grep dropped_packets "$T/metrics")"
curl -s -m 5 -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$MPORT/" | grep -q 404 &&
	ok "metrics: other paths 404" || fail "metrics: / not 404"

ctl reconcile >"$T/ctl.out"; rc=$?
[ $rc -eq 0 ] && ok "reconcile: consistent" ||
	fail "reconcile rc $rc: $(cat "$T/ctl.out")"

ctl withdraw one 42 >"$T/ctl.out" 2>&1 &&
	grep -q "withdrew mitigation 42 of client one" "$T/ctl.out" &&
	ok "withdraw" || fail "withdraw: $(cat "$T/ctl.out")"
# a withdrawn request may linger a while with its final status
ctl -j show mitigations | python3 -c 'import json, sys
r = json.load(sys.stdin)
m = [x for x in r["result"] if x["mid"] == 42]
sys.exit(0 if not m or m[0]["status"] != "attack-mitigation-in-progress" else 1)' &&
	ok "withdrawn mitigation no longer in progress" ||
	fail "still in progress after withdraw"
ctl withdraw nobody 1 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "withdraw unknown: exit 1" || fail "withdraw unknown: rc $rc"

ctl show nonsense >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "usage: exit 2" || fail "usage: rc $rc"

sig_alive && ok "dotsd still running" || fail "dotsd died"
kill "$DOTSD_PID" && wait "$DOTSD_PID" 2>/dev/null
DOTSD_PID=
[ ! -e "$T/dotsd.sock" ] && ok "socket removed at exit" ||
	fail "socket left behind"
ctl show counters >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && ok "no dotsd: exit 3" || fail "no dotsd: rc $rc"
[ -z "$FAILED" ]
