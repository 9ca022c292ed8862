# lib-bgp.sh: shared helpers of the 3x-bgp-*.sh integration tests and of
# tests/bench/bgp-bench.sh. Two namespaces joined by a veth pair:
#   bg-$$-s  the speaker (tests/bgp-driver): 198.18.1.1, 2001:db8:1::1
#   bg-$$-p  the peers (gobgpd, bird, exabgp): 198.18.1.2, 2001:db8:1::2
# Nothing is added to the root namespace. Every process started here is
# killed by PID in the EXIT trap, then the namespaces and $T go.

OUT=${OUT:-.output}
DRIVER=$OUT/tests/bgp-driver
NSS=bg-$$-s
NSP=bg-$$-p
SPK4=198.18.1.1
PEER4=198.18.1.2
SPK6=2001:db8:1::1
PEER6=2001:db8:1::2
T=$(mktemp -d /tmp/bg-$$.XXXXXX)
PIDS=""
failures=0

ok()   { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
skip() { echo "skip $1: $2"; }

bgp_cleanup() {
	# EOF on its fifo: the driver stops the backend and exits cleanly,
	# so ASan/UBSan (SANITIZE=1) get to report in drv.err
	exec 3>&- 2>/dev/null
	if [ -n "$DRIVER_PID" ]; then
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$DRIVER_PID" 2>/dev/null || break
			sleep 0.3
		done
		if grep -Eq 'Sanitizer|runtime error' "$T/drv.err" 2>/dev/null; then
			echo "FAIL bgp-driver-sanitizer: $(grep -Em1 'Sanitizer|runtime error' "$T/drv.err")"
			cp "$T/drv.err" "${OUT:-.output}/bgp-driver-sanitizer.log" 2>/dev/null
		fi
	fi
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	# ExaBGP may hang in its shutdown: SIGKILL after 5 s
	for i in 1 2 3 4 5 6 7 8 9 10; do
		alive=""
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.5
	done
	for p in $alive; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$NSS" 2>/dev/null
	ip netns del "$NSP" 2>/dev/null
	rm -rf "$T"
}

# bgp_require NAME TOOL...: skip (77) unless root and every tool is there.
bgp_require() {
	name=$1
	shift
	if [ "$(id -u)" != 0 ]; then
		echo "skip $name: needs root"
		exit 77
	fi
	[ -x "$DRIVER" ] || { echo "skip $name: $DRIVER not built"; exit 77; }
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "skip $name: $t not installed"; exit 77; }
	done
	trap bgp_cleanup EXIT
	trap 'exit 1' INT TERM
}

bgp_setup() {
	ip netns add "$NSS" && ip netns add "$NSP" || return 1
	ip link add bs0 netns "$NSS" type veth peer name bp0 netns "$NSP" ||
		return 1
	ip -n "$NSS" addr add $SPK4/24 dev bs0
	ip -n "$NSP" addr add $PEER4/24 dev bp0
	ip -n "$NSS" addr add $SPK6/64 dev bs0 nodad
	ip -n "$NSP" addr add $PEER6/64 dev bp0 nodad
	for ns in "$NSS" "$NSP"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NSS" link set bs0 up
	ip -n "$NSP" link set bp0 up
}

# wait_for SECS CMD...: until CMD succeeds; 1 on timeout.
wait_for() {
	secs=$1
	shift
	end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
	return 0
}

# --- the speaker: tests/bgp-driver reading commands from a fifo -------

# driver_start CONFFILE: conf lines then "start"; fd 3 writes commands.
# DRV_FLAGS: more options (-v: FSM transitions in $T/drv.err).
driver_start() {
	mkfifo "$T/cmd"
	ip netns exec "$NSS" "$DRIVER" $DRV_FLAGS -c "$1" <"$T/cmd" >"$T/drv.out" \
		2>"$T/drv.err" &
	PIDS="$PIDS $!"
	DRIVER_PID=$!
	exec 3>"$T/cmd"
	wait_for 5 grep -q '^ok start' "$T/drv.out"
}

# drv CMD: send one command; drv_wait ERE SECS: a reply to it matching.
drv() {
	drv_mark=$(wc -l <"$T/drv.out")
	echo "$*" >&3
}

drv_wait() {
	wait_for "${2:-10}" sh -c "tail -n +$((drv_mark + 1)) '$T/drv.out' |
	    grep -Eq '$1'"
}

# drv_do CMD ERE [SECS]: drv then drv_wait; prints the matching line.
drv_do() {
	drv "$1"
	drv_wait "$2" "${3:-10}" || return 1
	tail -n +$((drv_mark + 1)) "$T/drv.out" | grep -E "$2" | head -1
}

# --- gobgpd ------------------------------------------------------------

# gobgp_conf FILE AS NEIGHBOR-BLOCKS: writes a gobgpd TOML config.
gobgp_conf() {
	cat >"$1" <<EOF
[global.config]
  as = $2
  router-id = "198.18.1.2"
  port = 179
  local-address-list = ["$PEER4", "$PEER6"]
$3
EOF
}

# gobgp_neighbor ADDR PEER-AS [extra TOML lines]: one [[neighbors]] block
# taking all four families.
gobgp_neighbor() {
	echo "[[neighbors]]"
	echo "  [neighbors.config]"
	echo "    neighbor-address = \"$1\""
	echo "    peer-as = $2"
	[ -n "$3" ] && printf '%s\n' "$3"
	for f in ipv4-flowspec ipv6-flowspec ipv4-unicast ipv6-unicast; do
		echo "  [[neighbors.afi-safis]]"
		echo "    [neighbors.afi-safis.config]"
		echo "      afi-safi-name = \"$f\""
	done
}

gobgp_start() {
	ip netns exec "$NSP" gobgpd -f "$1" -l warn \
		--api-hosts 127.0.0.1:50051 >>"$T/gobgpd.log" 2>&1 &
	GOBGP_PID=$!
	PIDS="$PIDS $GOBGP_PID"
	wait_for 10 ip netns exec "$NSP" gobgp global
}

gobgp_stop() {
	kill "$GOBGP_PID" 2>/dev/null
	wait "$GOBGP_PID" 2>/dev/null
}

gobgp() {
	ip netns exec "$NSP" gobgp "$@"
}

# gobgp_established ADDR
gobgp_established() {
	gobgp neighbor "$1" 2>/dev/null | grep -q 'BGP state = ESTABLISHED'
}

# gobgp_has ADDR FAMILY ERE: a route in the neighbor's Adj-RIB-In matches.
gobgp_has() {
	gobgp neighbor "$1" adj-in -a "$2" 2>/dev/null | grep -Eq -- "$3"
}

# gobgp_count ADDR FAMILY: routes from the neighbor in that family.
gobgp_count() {
	gobgp neighbor "$1" adj-in -a "$2" summary 2>/dev/null |
		sed -n 's/.*Path: \([0-9]*\).*/\1/p'
}

# gobgp_count_is ADDR FAMILY N
gobgp_count_is() {
	[ "$(gobgp_count "$1" "$2")" = "$3" ]
}

# check NAME SECS CMD...: ok NAME once CMD succeeds, else FAIL NAME.
check() {
	c_name=$1
	c_secs=$2
	shift 2
	if wait_for "$c_secs" "$@"; then
		ok "$c_name"
	else
		fail "$c_name" "timed out waiting for: $*"
	fi
}

# --- BIRD 2 --------------------------------------------------------------

# bird_start CONF: BIRD in the peer namespace, its own socket and pid.
bird_start() {
	ip netns exec "$NSP" bird -f -c "$1" -s "$T/bird.ctl" \
		-P "$T/bird.pid" >>"$T/bird.out" 2>&1 &
	BIRD_PID=$!
	PIDS="$PIDS $BIRD_PID"
	wait_for 10 birdc show status
}

bird_stop() {
	kill "$BIRD_PID" 2>/dev/null
	wait "$BIRD_PID" 2>/dev/null
}

birdc() {
	ip netns exec "$NSP" birdc -s "$T/bird.ctl" "$@"
}

# bird_established PROTO
bird_established() {
	birdc show protocols "$1" | grep -q Established
}

# bird_route TABLE ROUTE-ERE ATTR-ERE: a route whose first line matches
# ROUTE-ERE has an attribute line matching ATTR-ERE ("all" output).
bird_route() {
	birdc show route table "$1" all | awk -v r="$2" -v a="$3" '
		/^[^ \t]/ && !/^BIRD|^Table/ { in_r = ($0 ~ r) }
		/^[ \t]/ && in_r && $0 ~ a { found = 1 }
		END { exit !found }'
}

# bird_count TABLE PROTO: routes of the table learnt from PROTO.
bird_count() {
	birdc show route table "$1" protocol "$2" count |
		sed -n 's/^\([0-9]*\) of [0-9]* routes.*/\1/p'
}

bird_count_is() {
	[ "$(bird_count "$1" "$2")" = "$3" ]
}

# --- ExaBGP ----------------------------------------------------------------

# exabgp_start CONF: ExaBGP 4.2 in the peer namespace, as root, quiet.
exabgp_start() {
	ip netns exec "$NSP" env exabgp_daemon_user=root \
		exabgp_daemon_drop=false exabgp_log_level=WARNING \
		exabgp_api_cli=false exabgp "$1" >>"$T/exabgp.log" 2>&1 &
	EXABGP_PID=$!
	PIDS="$PIDS $EXABGP_PID"
}
