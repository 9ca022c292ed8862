#!/bin/sh
# dots-client against dotsd (null backends), end to end: request, refresh,
# get (human and --json), conflict (exit 5), refusal (exit 3), efficacy
# update, observe, session configuration, heartbeats, withdraw, TLS, cuid
# collision. dotsd is configured by lib-signal.sh (client1 owns
# 198.18.0.0/16 and 2001:db8:6401::/48). Loopback only; no root needed.
NAME=client-dotsd
. "$(dirname "$0")/lib-client.sh"

[ -x "$SRC/$OUT/bin/dotsd" ] || { skip "dotsd not built"; exit 77; }
[ -x "$CLIENT" ] || { skip "dots-client not built"; exit 77; }
command -v python3 >/dev/null || { skip "python3 missing"; exit 77; }
. "$SRC/tests/integration/lib-signal.sh"
NAME=client-dotsd
sig_setup
export XDG_STATE_HOME=$T/state	# the client's mid counter
sig_conf </dev/null
sig_start
FAILED=0
BG=
trap 'for p in $BG; do kill $p 2>/dev/null; done; sig_cleanup' EXIT

S=coaps://127.0.0.1:$PORT
ST=coaps+tcp://[::1]:$PORT
C1=$(pki client1)
C2=$(pki client2)

# jq_ FILE EXPR: a python expression over the JSON object j on the last
# line of FILE (dots-client --json output).
jq_() {
	tail -1 "$1" | python3 -c 'import json, sys
j = json.load(sys.stdin)
try:
    print(eval(sys.argv[1]))
except Exception as e:
    print("error: %s" % e)' "$2"
}
MS='j["body"]["ietf-dots-signal-channel:mitigation-scope"]["scope"]'

# --- request, refresh, get ------------------------------------------------
dc -s $S $C1 request --target 198.18.1.0/24 --port 80,443 --protocol tcp \
	--mid 100
check "request: 2.01, mid and granted lifetime printed" sh -c \
	"test $RC -eq 0 && grep -q '^2.01 Created' '$T/out' && grep -q '^mid 100, lifetime [0-9]* s' '$T/out'"

dc -s $S $C1 request --target 198.18.1.0/24 --port 80,443 --protocol tcp \
	--mid 100 --lifetime 600
check "refresh of mid 100: 2.04" \
	test $RC -eq 0 -a "$(head -1 "$T/out")" = "2.04 Changed"

dc -s $S $C1 get --mid 100
check "get: status by name, targets, ports" sh -c \
	"test $RC -eq 0 && grep -Eq '^mid 100: (attack-mitigation-in-progress|attack-successfully-mitigated|attack-exceeded-capability),' '$T/out' && grep -q '^  target 198.18.1.0/24' '$T/out' && grep -q '^  port 80 443' '$T/out'"

dc -s $S $C1 --json get
check "get --json: code 2.05 and mid 100 in the body" \
	test "$(jq_ "$T/out" "j['code'], [s['mid'] for s in $MS]")" = \
	"('2.05', [100])"

# --- refusals --------------------------------------------------------------
dc -s $S $C1 request --target 203.0.113.0/24 --mid 101
check "target outside the client's domain: 4.00/4.01, exit 3" sh -c \
	"test $RC -eq 3 && grep -Eq '^4.0[01] ' '$T/out'"
dc -s $S $C1 get --mid 4242
check "get unknown mid: 4.04, exit 3" \
	test $RC -eq 3
dc -s $S $C1 request --target 198.18.1.0/25 --mid 50
check "new request under a lower mid overlapping mid 100: 4.09, exit 5" \
	sh -c "test $RC -eq 5 && grep -q '^4.09 Conflict' '$T/out' && grep -q 'overlapping-targets' '$T/out'"
dc -s $S $C2 --cuid "$(cuid_of "$T/c/client1.pem")" request \
	--target 198.18.7.0/24 --mid 1
check "another client using client1's cuid: 4.09 cuid-collision, exit 5" \
	sh -c "test $RC -eq 5 && grep -q 'cuid-collision' '$T/out'"

# --- efficacy update (GET, then PUT with If-Match) ------------------------
dc -s $S $C1 -v efficacy --mid 100 --attack-status under-attack
check "efficacy update: 2.04" sh -c \
	"test $RC -eq 0 && grep -q '^2.04 Changed' '$T/out'"
check "efficacy body repeats the scope, adds attack-status" \
	grep -q '"target-prefix":\["198.18.1.0/24"\].*"attack-status":"under-attack"' "$T/err"
dc -s $S $C1 efficacy --mid 4242 --attack-status mitigated
check "efficacy for an unknown mid: the GET's 4.04, exit 3" \
	test $RC -eq 3

# --- observe -------------------------------------------------------------
"$CLIENT" -s $S $C1 --json observe --mid 100 --count 2 --timeout 30 \
	>"$T/obs" 2>"$T/obs.err" &
OBS=$!
BG="$BG $OBS"
sleep 1.5
dc -s $S $C1 efficacy --mid 100 --attack-status mitigated --lifetime 900
wait $OBS
orc=$?
RC=$orc
check "observe: registration answer and a notification, as JSON lines" \
	sh -c "test $orc -eq 0 && test \$(wc -l <'$T/obs') -eq 2 && grep -q '\"observe\":' '$T/obs'"

dc -s $S $C1 -v observe --timeout 3.5 --interval 1
check "observe --timeout: ends after 3.5 s, exit 0" test $RC -eq 0
check "observe sends heartbeats every --interval, all answered" \
	grep -Eq '^heartbeats sent ([2-9]), answered \1;' "$T/err"

# --- session configuration -------------------------------------------------
dc -s $S $C1 config get
check "config get: 2.05 with ranges" sh -c \
	"test $RC -eq 0 && grep -q '^mitigating-config:' '$T/out' && grep -Eq '^  heartbeat-interval +[0-9]+ \\([0-9]+\\.\\.[0-9]+\\)' '$T/out'"
dc -s $S $C1 config set --sid 5 --heartbeat-interval 9999
check "config set out of range: 4.22, exit 3" sh -c \
	"test $RC -eq 3 && grep -q '^4.22 ' '$T/out'"
dc -s $S $C1 config set --sid 6 --heartbeat-interval 60 --missing-hb-allowed 5
check "config set in range: 2.01" sh -c \
	"test $RC -eq 0 && grep -q '^2.01 Created' '$T/out'"
dc -s $S $C1 config delete
check "config delete: 2.02" sh -c \
	"test $RC -eq 0 && grep -q '^2.02 Deleted' '$T/out'"

# --- heartbeats --------------------------------------------------------------
dc -s $S $C1 -v heartbeat --count 2 --interval 1
check "two heartbeats, each 2.04" sh -c \
	"test $RC -eq 0 && test \$(grep -c '^2.04 Changed' '$T/out') -eq 2"
# RFC 9132 §4.7: the server MAY send its own heartbeat on the session;
# when dotsd did, the client's /hb resource must have answered it and the
# next heartbeat says peer-hb-status true.
n=$(sed -n 's/^server heartbeats answered: //p' "$T/err")
if [ "${n:-0}" -ge 1 ]; then
	check "server heartbeats answered ($n), peer-hb-status true" \
		grep -q '"peer-hb-status":true' "$T/err"
else
	skip "dotsd sent no heartbeat during the exchange"
fi

# --- TLS ---------------------------------------------------------------------
dc -s $ST $C1 get --mid 100
check "get over TLS/TCP on ::1" test $RC -eq 0
dc -s "coaps://[::1]:$PORT" $C1 get --mid 100
check "get over DTLS on ::1" test $RC -eq 0

# --- withdraw ---------------------------------------------------------------
dc -s $S $C1 withdraw --mid 100
check "withdraw: 2.02" sh -c \
	"test $RC -eq 0 && grep -q '^2.02 Deleted' '$T/out'"
dc -s $S $C1 get --mid 100
check "after withdraw: active-but-terminating or gone" sh -c \
	"{ test $RC -eq 0 && grep -q 'dots-client-withdrawn-mitigation' '$T/out'; } || test $RC -eq 3"

# --- the FastNetMon notify script -----------------------------------------
FNM=$SRC/dots-client/fastnetmon-notify.sh
export DOTS_CLIENT="$CLIENT -s $S $C1" DOTS_STATE="$T/fnm"
echo "attack details" | "$FNM" 198.18.9.9 incoming 250000 ban
frc=$?
dc -s $S $C1 get --mid "$(cat "$T/fnm/198.18.9.9.mid" 2>/dev/null)"
check "FastNetMon ban: mitigation for 198.18.9.9/32, mid remembered" sh -c \
	"test $frc -eq 0 && test $RC -eq 0 && grep -q '^  target 198.18.9.9/32' '$T/out'"
"$FNM" 198.18.9.9 incoming 0 unban
frc=$?
check "FastNetMon unban: withdrawn, state removed" sh -c \
	"test $frc -eq 0 && test ! -e '$T/fnm/198.18.9.9.mid'"
# two hosts banned at once: distinct mids, both mitigations kept
echo a | "$FNM" 198.18.9.21 incoming 9 ban & p1=$!
echo b | "$FNM" 198.18.9.22 incoming 9 ban & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
m1=$(cat "$T/fnm/198.18.9.21.mid" 2>/dev/null)
m2=$(cat "$T/fnm/198.18.9.22.mid" 2>/dev/null)
dc -s $S $C1 get
check "FastNetMon: two simultaneous bans, mids $m1 and $m2, both active" \
	sh -c "test $r1 -eq 0 -a $r2 -eq 0 -a -n '$m1' -a -n '$m2' -a '$m1' != '$m2' && grep -q '^  target 198.18.9.21/32' '$T/out' && grep -q '^  target 198.18.9.22/32' '$T/out'"
echo x | "$FNM" 198.18.9.10 outgoing 1 ban
check "FastNetMon outgoing attack: no request" \
	test ! -e "$T/fnm/198.18.9.10.mid"

sig_alive && ok "dotsd still running" || fail "dotsd died"
exit $FAILED
