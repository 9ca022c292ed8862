# lib-xdp.sh: shared helpers of the 2x-xdp-*.sh integration tests.
# Two namespaces joined by a veth pair: xa (sender, 198.18.0.1,
# 2001:db8::1) and xb (receiver, 198.18.0.2, 2001:db8::2, XDP on xb0).
# Nothing is added to the root namespace; the pins live in a path of
# their own under /sys/fs/bpf; everything goes in the EXIT trap.

OUT=${OUT:-.output}
XDPCTL=$OUT/bin/dotsd-xdp
TRAFFIC=$OUT/tests/xdp-traffic
NSA=dx-$$-a
NSB=dx-$$-b
PIN=/sys/fs/bpf/dx-it-$$
T=$(mktemp -d /tmp/dx-$$.XXXXXX)
PIDS=""
failures=0

ok()   { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
skip() { echo "skip $1: $2"; }

xdp_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -x "$XDPCTL" ] && "$XDPCTL" -p "$PIN" flush 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$T"
}

xdp_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip $1: needs root"
		exit 77
	fi
	for b in "$XDPCTL" "$TRAFFIC"; do
		if [ ! -x "$b" ]; then
			echo "skip $1: $b not built"
			exit 77
		fi
	done
	trap xdp_cleanup EXIT
}

# xdp_setup [QUEUES]: the two namespaces and the veth pair.
xdp_setup() {
	q=${1:-1}
	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	ip link add xa0 netns "$NSA" numtxqueues "$q" numrxqueues "$q" \
		type veth peer name xb0 netns "$NSB" \
		numtxqueues "$q" numrxqueues "$q" || return 1
	ip -n "$NSA" addr add 198.18.0.1/24 dev xa0
	ip -n "$NSB" addr add 198.18.0.2/24 dev xb0
	ip -n "$NSA" addr add 2001:db8::1/64 dev xa0 nodad
	ip -n "$NSB" addr add 2001:db8::2/64 dev xb0 nodad
	ip -n "$NSA" link set xa0 up
	ip -n "$NSB" link set xb0 up
	ip -n "$NSA" link set lo up
	ip -n "$NSB" link set lo up
	# static neighbours: no ARP/ND in flight while counting
	mac_b=$(ip -n "$NSB" -o link show xb0 | sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p')
	mac_a=$(ip -n "$NSA" -o link show xa0 | sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p')
	ip -n "$NSA" neigh replace 198.18.0.2 lladdr "$mac_b" dev xa0
	ip -n "$NSA" neigh replace 2001:db8::2 lladdr "$mac_b" dev xa0
	ip -n "$NSB" neigh replace 198.18.0.1 lladdr "$mac_a" dev xb0
	ip -n "$NSB" neigh replace 2001:db8::1 lladdr "$mac_a" dev xb0
}

# dotsd-xdp inside the receiver's network namespace. nsenter --net keeps
# the mount namespace, so /sys/fs/bpf is the host's bpffs.
xctl() {
	nsenter --net=/run/netns/"$NSB" "$XDPCTL" -p "$PIN" "$@"
}

# xrun ARGS...: a long-running "dotsd-xdp run" in the background; waits
# for it to say ready. Sets RUNPID.
xrun() {
	nsenter --net=/run/netns/"$NSB" "$XDPCTL" -p "$PIN" "$@" \
		>"$T/run.out" 2>"$T/run.err" &
	RUNPID=$!
	PIDS="$PIDS $RUNPID"
	i=0
	while ! grep -q ready "$T/run.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $RUNPID 2>/dev/null; then
			cat "$T/run.err" >&2
			return 1
		fi
		sleep 0.1
	done
}

xstop() {
	kill "$RUNPID" 2>/dev/null
	wait "$RUNPID" 2>/dev/null
}

# stat_of GROUP FIELD: one counter of "dotsd-xdp stats GROUP".
stat_of() {
	xctl stats "$1" | tr ' ' '\n' | sed -n "/^$2\$/{n;p;}"
}

# recv_start PORTS SECS [-6]: receiver in xb; waits until it is bound.
recv_start() {
	ip netns exec "$NSB" "$TRAFFIC" recv "$@" >"$T/recv.out" &
	RECVPID=$!
	PIDS="$PIDS $RECVPID"
	i=0
	while ! grep -q ready "$T/recv.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 50 ] && return 1
		sleep 0.1
	done
}

recv_wait() {
	wait "$RECVPID"
}

# recv_port PORT: datagrams the receiver got on PORT.
recv_port() {
	sed -n "s/^port $1 //p" "$T/recv.out"
}

# send_from_a DST PORTS ARGS...: paced at 50 kpps, so that a receiver on a
# busy machine keeps up (the counters are exact at any rate; the receiver
# only checks what passed).
send_from_a() {
	ip netns exec "$NSA" "$TRAFFIC" send "$@" -r 50000 | sed -n 's/^sent //p'
}
