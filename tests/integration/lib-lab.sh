# lib-lab.sh: the namespace lab shared by `make demo` (tools/demo.sh) and
# the end-to-end tests (tests/integration/5x-e2e-*.sh). Source it, set
# LAB (a short unique prefix, e.g. "dl$$") and call lab_up; lab_down
# removes everything lab_up made. Nothing is added to the root namespace.
#
#   attacker (198.18.2.2) --+
#                           +-- transit (gobgpd, AS 64500) -- edge (dotsd, AS 64510) -- customer
#   legit    (198.18.3.2) --+       198.18.0.1/30      198.18.0.2/30   XDP on "uplink"   198.18.10.10/24
#                                   2001:db8:0::1/64   2001:db8:0::2/64              2001:db8:10::10/64
#
# The customer network is 198.18.10.0/24 and 2001:db8:10::/64; the DOTS
# client runs in the customer namespace and talks to dotsd at 198.18.10.1.

lab_ns() { echo "${LAB}-$1"; }

lab_link() {	# lab_link NS_A IF_A NS_B IF_B
	ip link add "$2" netns "$(lab_ns "$1")" type veth peer name "$4" \
	    netns "$(lab_ns "$3")"
	ip -n "$(lab_ns "$1")" link set "$2" up
	ip -n "$(lab_ns "$3")" link set "$4" up
}

lab_addr() {	# lab_addr NS IF ADDR...
	ns=$(lab_ns "$1"); dev=$2; shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" ;;
		esac
	done
}

lab_up() {
	for n in attacker legit transit edge customer; do
		ip netns add "$(lab_ns $n)"
		ip -n "$(lab_ns $n)" link set lo up
	done
	lab_link attacker eth0 transit atk
	lab_link legit eth0 transit leg
	lab_link transit edge edge uplink
	lab_link edge cust customer eth0

	lab_addr attacker eth0 198.18.2.2/24 2001:db8:2::2/64
	lab_addr legit eth0 198.18.3.2/24 2001:db8:3::2/64
	lab_addr transit atk 198.18.2.1/24 2001:db8:2::1/64
	lab_addr transit leg 198.18.3.1/24 2001:db8:3::1/64
	lab_addr transit edge 198.18.0.1/30 2001:db8::1/64
	lab_addr edge uplink 198.18.0.2/30 2001:db8::2/64
	lab_addr edge cust 198.18.10.1/24 2001:db8:10::1/64
	lab_addr customer eth0 198.18.10.10/24 2001:db8:10::10/64

	for n in attacker legit; do
		ip -n "$(lab_ns $n)" route add default via \
		    "$( [ $n = attacker ] && echo 198.18.2.1 || echo 198.18.3.1)"
		ip -n "$(lab_ns $n)" -6 route add default via \
		    "$( [ $n = attacker ] && echo 2001:db8:2::1 || echo 2001:db8:3::1)"
	done
	ip -n "$(lab_ns transit)" route add 198.18.10.0/24 via 198.18.0.2
	ip -n "$(lab_ns transit)" -6 route add 2001:db8:10::/64 via 2001:db8::2
	ip -n "$(lab_ns edge)" route add default via 198.18.0.1
	ip -n "$(lab_ns edge)" -6 route add default via 2001:db8::1
	ip -n "$(lab_ns customer)" route add default via 198.18.10.1
	ip -n "$(lab_ns customer)" -6 route add default via 2001:db8:10::1
	for n in transit edge; do
		ip netns exec "$(lab_ns $n)" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$(lab_ns $n)" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	# IPv6 link-local addresses need DAD before neighbours resolve.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		lab_exec legit ping -6 -c1 -W1 2001:db8:10::10 >/dev/null 2>&1 &&
		    lab_exec legit ping -c1 -W1 198.18.10.10 >/dev/null 2>&1 &&
		    return 0
		sleep 0.5
	done
	echo "lab: the namespaces do not route" >&2
	return 1
}

lab_down() {
	for n in attacker legit transit edge customer; do
		ip netns del "$(lab_ns $n)" 2>/dev/null
	done
	return 0
}

lab_exec() {	# lab_exec NS CMD...
	ns=$(lab_ns "$1"); shift
	ip netns exec "$ns" "$@"
}

# ---------------------------------------------------------------------
# The whole lab: dotsd (XDP + BGP) in edge, gobgpd in transit, the DOTS
# client in customer, senders in attacker and legit. Used by
# tools/demo.sh, the 5x-e2e-*.sh tests and tests/bench/e2e-bench.sh.
#
#   lab_require NAME      root and every binary, else "skip NAME" exit 77
#   lab_init              $T, certificates, EXIT trap (lab_cleanup)
#   lab_gobgp_start       gobgpd AS 64500 in transit, peering with dotsd
#   lab_conf [MITIGATION-LINES]   writes $T/dotsd.conf
#   lab_dotsd_start / lab_dotsd_stop [KILL]
#   lab_dc ARGS           dots-client in customer (output in $T/dc.out)
#   lab_ctl ARGS          dotsctl on dotsd's control socket
#   lab_gobgp ARGS        gobgp in transit
# Everything started is killed by PID; the XDP pins live in $LAB_PIN.

LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)}
OUT=${OUT:-.output}
case $OUT in /*) LAB_OUT=$OUT ;; *) LAB_OUT=$LAB_SRC/$OUT ;; esac
LAB_DOTSD=$LAB_OUT/bin/dotsd
LAB_CLIENT=$LAB_OUT/bin/dots-client
LAB_CTL=$LAB_OUT/bin/dotsctl
LAB_XDPCTL=$LAB_OUT/bin/dotsd-xdp
LAB_TRAFFIC=$LAB_OUT/tests/xdp-traffic
LAB_PIDS=
DOTSD_PID=
GOBGP_PID=
T=

# The addresses of the drawing above.
LAB_VICTIM=198.18.10.10
LAB_SERVER=198.18.10.1
LAB_EDGE=198.18.0.2
LAB_TRANSIT=198.18.0.1

lab_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip $1: needs root"
		exit 77
	fi
	for b in "$LAB_DOTSD" "$LAB_CLIENT" "$LAB_CTL" "$LAB_XDPCTL" \
	    "$LAB_TRAFFIC"; do
		[ -x "$b" ] || { echo "skip $1: $b not built"; exit 77; }
	done
	for t in gobgpd gobgp openssl nsenter; do
		command -v $t >/dev/null 2>&1 ||
		    { echo "skip $1: $t not installed"; exit 77; }
	done
}

lab_cleanup() {
	lab_dotsd_stop
	for p in $LAB_PIDS; do kill "$p" 2>/dev/null; done
	for p in $LAB_PIDS; do wait "$p" 2>/dev/null; done
	LAB_PIDS=
	# the pins outlive dotsd by design: remove the lab's own
	[ -n "$LAB_PIN" ] && [ -d "$LAB_PIN" ] &&
	    "$LAB_XDPCTL" -p "$LAB_PIN" flush >/dev/null 2>&1
	lab_down
	[ -n "$T" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
	return 0
}

# lab_init: temp dir, certificates, the EXIT trap; LAB must be set.
lab_init() {
	LAB_PIN=/sys/fs/bpf/$LAB
	T=$(mktemp -d /tmp/"$LAB".XXXXXX)
	trap lab_cleanup EXIT
	trap 'exit 1' INT TERM
	"$LAB_SRC/tests/certs/mkcerts.sh" "$T/c" >/dev/null
}

# lab_wait SECS CMD...: until CMD succeeds; 1 on timeout.
lab_wait() {
	lw_end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$lw_end" ] && return 1
		sleep 0.2
	done
	return 0
}

# --- the upstream: gobgpd in transit -----------------------------------

lab_gobgp_start() {
	cat >"$T/gobgpd.toml" <<EOT
[global.config]
  as = 64500
  router-id = "$LAB_TRANSIT"
  port = 179
  local-address-list = ["$LAB_TRANSIT"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$LAB_EDGE"
    peer-as = 64510
  [neighbors.transport.config]
    passive-mode = true
EOT
	for f in ipv4-flowspec ipv6-flowspec ipv4-unicast ipv6-unicast; do
		printf '  [[neighbors.afi-safis]]\n'
		printf '    [neighbors.afi-safis.config]\n'
		printf '      afi-safi-name = "%s"\n' $f
	done >>"$T/gobgpd.toml"
	# not through lab_exec: a backgrounded function is a subshell, and
	# $! must be the PID of the program itself to kill it
	ip netns exec "$(lab_ns transit)" gobgpd -f "$T/gobgpd.toml" -l warn \
	    --api-hosts 127.0.0.1:50051 >>"$T/gobgpd.log" 2>&1 &
	GOBGP_PID=$!
	LAB_PIDS="$LAB_PIDS $GOBGP_PID"
	lab_wait 10 lab_gobgp global
}

lab_gobgp() {
	lab_exec transit gobgp "$@"
}

lab_bgp_up() {
	lab_gobgp neighbor "$LAB_EDGE" 2>/dev/null |
	    grep -q 'BGP state = ESTABLISHED'
}

# lab_routes FAMILY: routes gobgpd received from dotsd in FAMILY
# (ipv4-flowspec, ipv6-flowspec, ipv4, ipv6).
lab_routes() {
	n=$(lab_gobgp neighbor "$LAB_EDGE" adj-in -a "$1" summary 2>/dev/null |
	    sed -n 's/.*Path: \([0-9]*\).*/\1/p')
	echo "${n:-0}"
}

lab_routes_are() {	# lab_routes_are FAMILY N
	[ "$(lab_routes "$1")" = "$2" ]
}

# --- dotsd in edge ------------------------------------------------------

# lab_conf [LINES]: dotsd.conf for the lab; LINES go into the
# mitigation { } block (escalation thresholds and the like). Also
# LAB_CLIENT_EXTRA: lines for the client block; LAB_XDP_MAX_RULES.
lab_conf() {
	cat >"$T/dotsd.conf" <<EOT
# dotsd on the edge router of the lab
listen on $LAB_SERVER
certificate "$T/c/server.pem"
key "$T/c/server.key"
ca "$T/c/ca.pem"
database "$T/dotsd.db"
control "$T/dotsd.sock"
yang-dir "$LAB_SRC/yang/modules"
active-but-terminating 0

client "customer" {
	identity cn "client1"
	prefix 198.18.10.0/24 2001:db8:10::/64
	mitigate-with xdp flowspec rtbh
	indefinite-lifetime yes
${LAB_CLIENT_EXTRA:-}
}

xdp {
	interface uplink
	pin-path $LAB_PIN
	max-rules ${LAB_XDP_MAX_RULES:-1000}
}

bgp {
	router-id $LAB_EDGE
	local-as 64510
	neighbor $LAB_TRANSIT remote-as 64500
	connect-retry 1
	damping off
}

mitigation {
${1:-}
}
EOT
}

# lab_dotsd_start: dotsd -d in edge. nsenter --net keeps the mount
# namespace, so the pins under /sys/fs/bpf outlive a restart (ip netns
# exec would remount /sys and hide them).
lab_dotsd_start() {
	: >>"$T/dotsd.log"
	ls_mark=$(wc -l <"$T/dotsd.log")
	nsenter --net=/run/netns/"$(lab_ns edge)" "$LAB_DOTSD" -d -f \
	    "$T/dotsd.conf" >>"$T/dotsd.log" 2>&1 &
	DOTSD_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		tail -n +$((ls_mark + 1)) "$T/dotsd.log" | grep -q ' started$' &&
		    return 0
		kill -0 "$DOTSD_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "lab: dotsd did not start:" >&2
	tail -n +$((ls_mark + 1)) "$T/dotsd.log" | tail -5 >&2
	return 1
}

# lab_dotsd_stop [KILL]: SIGTERM (or SIGKILL: a crash), wait for it;
# its exit status in DOTSD_RC (not 0 after SIGTERM: an error at exit,
# or a sanitizer's report in $T/dotsd.log).
lab_dotsd_stop() {
	[ -n "$DOTSD_PID" ] || return 0
	kill -"${1:-TERM}" "$DOTSD_PID" 2>/dev/null
	i=0
	while kill -0 "$DOTSD_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$DOTSD_PID" 2>/dev/null
	wait "$DOTSD_PID" 2>/dev/null
	DOTSD_RC=$?
	DOTSD_PID=
}

# lab_dotsd_stop_check: SIGTERM, then ok/FAIL on a clean exit.
lab_dotsd_stop_check() {
	lab_dotsd_stop
	if [ "$DOTSD_RC" = 0 ]; then
		ok "dotsd exits cleanly on SIGTERM"
	else
		fail "dotsd exit status $DOTSD_RC on SIGTERM: $(grep -m1 -E 'ERROR|runtime error|leak' "$T/dotsd.log")"
	fi
}

lab_ctl() {
	"$LAB_CTL" -s "$T/dotsd.sock" "$@"
}

# lab_reconciled: dotsctl reconcile finds no difference.
lab_reconciled() {
	lab_ctl reconcile >"$T/reconcile.out" 2>&1
}

# --- the DOTS client in customer ---------------------------------------

# lab_dc ARGS: dots-client as client1; output in $T/dc.out, status in RC.
lab_dc() {
	lab_exec customer timeout 60 "$LAB_CLIENT" \
	    -s "coaps://$LAB_SERVER" --cert "$T/c/client1.pem" \
	    --key "$T/c/client1.key" --ca "$T/c/ca.pem" "$@" \
	    >"$T/dc.out" 2>&1 </dev/null
	RC=$?
	return $RC
}

# --- traffic ------------------------------------------------------------

# lab_recv_start PORTS SECS [-6]: UDP sink in customer, counts per port
# into $T/recv.out (-6: IPv6 and IPv4); waits until it is bound. Sets
# RECV_PID.
lab_recv_start() {
	ip netns exec "$(lab_ns customer)" "$LAB_TRAFFIC" recv "$1" -t "$2" \
	    ${3:-} >"$T/recv.out" &
	RECV_PID=$!
	LAB_PIDS="$LAB_PIDS $RECV_PID"
	i=0
	while ! grep -q ready "$T/recv.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.1
	done
}

lab_recv_wait() {
	wait "$RECV_PID"
}

# lab_recv_port PORT: datagrams the sink got on PORT.
lab_recv_port() {
	sed -n "s/^port $1 //p" "$T/recv.out"
}

# lab_send NS PORT ARGS...: UDP from attacker or legit to the victim;
# prints the number of packets sent. In the background, use lab_send_bg.
lab_send() {
	ls_ns=$1 ls_port=$2
	shift 2
	lab_exec "$ls_ns" "$LAB_TRAFFIC" send "$LAB_VICTIM" "$ls_port" "$@" |
	    sed -n 's/^sent //p'
}

# --- test output (tests/run.sh counts these lines) ---------------------

LAB_FAILED=0
ok()   { echo "ok $NAME: $1"; }
fail() { echo "FAIL $NAME: $1"; LAB_FAILED=1; }
skip() { echo "skip $NAME: $1"; }

# check DESC SECS CMD...: ok once CMD succeeds within SECS, else FAIL.
check() {
	c_desc=$1 c_secs=$2
	shift 2
	if lab_wait "$c_secs" "$@"; then
		ok "$c_desc"
	else
		fail "$c_desc (timed out: $*)"
	fi
}

# lab_xdp_rules: rules the XDP maps hold now.
lab_xdp_rules() {
	"$LAB_XDPCTL" -p "$LAB_PIN" status 2>/dev/null |
	    sed -n 's/^rules \([0-9]*\) of.*/\1/p'
}

lab_xdp_rules_are() {	# lab_xdp_rules_are N
	[ "$(lab_xdp_rules)" = "$1" ]
}

# lab_rib_has FAMILY ERE: a route gobgpd holds in FAMILY matches ERE.
lab_rib_has() {
	lab_gobgp global rib -a "$1" 2>/dev/null | grep -Eq -- "$2"
}

# lab_dropped MID: packets dropped, from dots-client get (human form).
lab_dropped() {
	lab_dc get --mid "$1" >/dev/null
	sed -n 's/^  dropped [0-9]* bytes, \([0-9]*\) packets.*/\1/p' \
	    "$T/dc.out"
}

# lab_send_bg NS DST PORT FILE ARGS...: a sender in the background, its
# "sent N" line into FILE; sets SEND_PID (the sender itself).
lab_send_bg() {
	lsb_ns=$1 lsb_dst=$2 lsb_port=$3 lsb_file=$4
	shift 4
	ip netns exec "$(lab_ns "$lsb_ns")" "$LAB_TRAFFIC" send "$lsb_dst" \
	    "$lsb_port" "$@" >"$lsb_file" &
	SEND_PID=$!
	LAB_PIDS="$LAB_PIDS $SEND_PID"
}
