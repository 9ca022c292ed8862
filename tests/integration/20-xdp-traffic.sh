#!/bin/sh
# 20-xdp-traffic.sh: real UDP traffic over veth through the XDP program in
# native mode: counters equal what was sent and dropped, the receiver gets
# exactly the rest; an interface that disappears and comes back is
# re-attached; drops go on after the daemon stops; flush removes it all.
. tests/integration/lib-xdp.sh
xdp_require xdp_traffic
xdp_setup || { fail xdp_setup "cannot build the namespaces"; exit 1; }

cat >"$T/rules" <<'R'
group 1
id 1 dst 198.18.0.2/32 proto udp dport 5000 action drop
group 2
id 1 dst 2001:db8::2/128 proto udp dport 5000 action drop
R
if ! xrun -i xb0 -m native run "$T/rules"; then
	fail xdp_attach "dotsd-xdp run did not start"
	exit 1
fi
if ip -n "$NSB" link show xb0 | grep -q 'prog/xdp '; then
	ok xdp_attach_native
else
	fail xdp_attach_native "$(ip -n "$NSB" link show xb0)"
fi

# IPv4: 10000 packets to each port, 100-byte payload = 142-byte frames
recv_start 5000-5001 -t 4
sent=$(send_from_a 198.18.0.2 5000-5001 -n 20000 -s 100)
recv_wait
d=$(stat_of 1 pkts_dropped); b=$(stat_of 1 bytes_dropped)
if [ "$sent" = 20000 ] && [ "$d" = 10000 ] && [ "$b" = 1420000 ] &&
   [ "$(recv_port 5000)" = 0 ] && [ "$(recv_port 5001)" = 10000 ]; then
	ok xdp_counters_v4
else
	fail xdp_counters_v4 "sent $sent dropped $d bytes $b received $(recv_port 5000)/$(recv_port 5001)"
fi

# IPv6: 162-byte frames
recv_start 5000-5001 -t 3 -6
sent=$(send_from_a 2001:db8::2 5000-5001 -n 4000 -s 100)
recv_wait
d=$(stat_of 2 pkts_dropped); b=$(stat_of 2 bytes_dropped)
if [ "$sent" = 4000 ] && [ "$d" = 2000 ] && [ "$b" = 324000 ] &&
   [ "$(recv_port 5000)" = 0 ] && [ "$(recv_port 5001)" = 2000 ]; then
	ok xdp_counters_v6
else
	fail xdp_counters_v6 "sent $sent dropped $d bytes $b received $(recv_port 5000)/$(recv_port 5001); $(ip netns exec "$NSB" nstat -az 2>/dev/null | grep -E 'Udp6InErrors|Udp6RcvbufErrors|Ip6InDiscards|Ip6InNoRoutes|Ip6InReceives|Udp6InDatagrams|Udp6NoPorts' | tr -s ' ' | tr '\n' ' ')"
fi

# the interface goes away and comes back: re-attached by the watcher
ip -n "$NSB" link del xb0
sleep 0.5
xdp_setup_link() {
	ip link add xa0 netns "$NSA" type veth peer name xb0 netns "$NSB"
	ip -n "$NSA" addr add 198.18.0.1/24 dev xa0
	ip -n "$NSB" addr add 198.18.0.2/24 dev xb0
	ip -n "$NSA" link set xa0 up
	ip -n "$NSB" link set xb0 up
	mac_b=$(ip -n "$NSB" -o link show xb0 | sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p')
	ip -n "$NSA" neigh replace 198.18.0.2 lladdr "$mac_b" dev xa0
}
xdp_setup_link
i=0
while ! ip -n "$NSB" link show xb0 | grep -q 'prog/xdp'; do
	i=$((i + 1)); [ $i -gt 30 ] && break
	sleep 0.1
done
before=$(stat_of 1 pkts_dropped)
sent=$(send_from_a 198.18.0.2 5000 -n 1000)
after=$(stat_of 1 pkts_dropped)
if [ $((after - before)) = 1000 ] && [ "$sent" = 1000 ]; then
	ok xdp_reattach
else
	fail xdp_reattach "dropped $((after - before)) of $sent after re-creating xb0"
fi

# the daemon stops (SIGKILL, as a crash): drops go on from the pins
kill -9 "$RUNPID"; wait "$RUNPID" 2>/dev/null
before=$(stat_of 1 pkts_dropped)
sent=$(send_from_a 198.18.0.2 5000 -n 1000)
after=$(stat_of 1 pkts_dropped)
if [ $((after - before)) = 1000 ]; then
	ok xdp_drops_survive_crash
else
	fail xdp_drops_survive_crash "dropped $((after - before)) of $sent"
fi

# a new run adopts the pinned state and link, with the counters
if xrun -i xb0 -m native run && [ "$(stat_of 1 pkts_dropped)" = "$after" ] &&
   xctl status | grep -q '^interface xb0 ifindex'; then
	ok xdp_adopt
else
	fail xdp_adopt "$(cat "$T/run.err")"
fi
xstop

# flush: no program on the interface, no pins, traffic flows
xctl flush
# the kernel releases an unpinned link from a work queue: give it a moment
i=0
while ip -n "$NSB" link show xb0 | grep -q xdp && [ $i -lt 20 ]; do
	i=$((i + 1)); sleep 0.1
done
recv_start 5000 -t 2
sent=$(send_from_a 198.18.0.2 5000 -n 500)
recv_wait
# without XDP, veth hands packets to the CPU backlog, which a busy machine
# may overflow: "flows" means nearly all arrive, none is filtered
if ! ip -n "$NSB" link show xb0 | grep -q xdp && [ ! -e "$PIN" ] &&
   [ "$(recv_port 5000)" -ge 490 ]; then
	ok xdp_flush
else
	fail xdp_flush "$(ip -n "$NSB" link show xb0 | head -2); received $(recv_port 5000)"
fi
# two interfaces at once, mode auto: native on the veth, generic (and
# logged) on a driver without native XDP, the namespace's loopback
xctl -i lo -i xb0 load-rules /dev/null 2>"$T/auto.err"
if grep -q 'lo: native mode unavailable.*falling back to generic' \
	"$T/auto.err" &&
   ip -n "$NSB" link show lo | grep -q 'xdpgeneric' &&
   ip -n "$NSB" link show xb0 | grep -q 'prog/xdp ' &&
   [ "$(xctl status | grep -c '^interface ')" = 2 ]; then
	ok xdp_auto_fallback_generic
else
	fail xdp_auto_fallback_generic "$(cat "$T/auto.err"; ip -n "$NSB" link show lo; xctl status)"
fi
xctl flush
[ $failures = 0 ]
