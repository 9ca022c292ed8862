#!/bin/sh
# 21-xdp-swap.sh: a rule set replaced hundreds of times under traffic, with
# zero misclassified packets. Both versions drop port 6000 and pass port
# 6001, by different means: A has one /32 drop rule; B drops a /24 with an
# accept exception for 6001 on the /32. A packet seeing half of B (the /24
# drop without its exception, or A's rule gone before B's came) would be
# misclassified.
. tests/integration/lib-xdp.sh
xdp_require xdp_swap
xdp_setup || { fail xdp_setup "cannot build the namespaces"; exit 1; }

SWAPS=${XDP_SWAPS:-300}
python3 - "$SWAPS" >"$T/swaps" <<'P'
import sys
a = """group 1
id 1 dst 198.18.0.2/32 proto udp dport 6000 action drop
group 2
id 1 dst 198.18.0.128/25 action drop
"""
b = """group 1
id 2 dst 198.18.0.0/24 proto udp dport 6000-6001 action drop
id 3 dst 198.18.0.2/32 proto udp dport 6001 action accept
group 2
id 1 dst 198.18.0.128/25 action drop
id 2 dst 198.18.0.2/31 proto tcp action drop
"""
for i in range(int(sys.argv[1])):
    sys.stdout.write(a if i % 2 == 0 else b)
P
printf 'group 1\nid 1 dst 198.18.0.2/32 proto udp dport 6000 action drop\n' >"$T/first"
xctl -i xb0 -m native load-rules "$T/first" >/dev/null 2>"$T/err" ||
	{ fail xdp_swap_load "$(cat "$T/err")"; exit 1; }

recv_start 6000-6001 -t 12
ip netns exec "$NSA" "$TRAFFIC" send 198.18.0.2 6000-6001 -t 8 -r 40000 \
	>"$T/sent" &
SENDPID=$!
PIDS="$PIDS $SENDPID"
sleep 0.5
start=$(date +%s.%N)
if ! xctl load-rules "$T/swaps" 2>"$T/err"; then
	fail xdp_swap_load "$(cat "$T/err")"
fi
end=$(date +%s.%N)
wait "$SENDPID"
recv_wait
sent=$(sed -n 's/^sent //p' "$T/sent")
sent_x=$(( (sent + 1) / 2 )); sent_y=$(( sent / 2 ))
got_x=$(recv_port 6000); got_y=$(recv_port 6001)
dropped=$(stat_of 1 pkts_dropped)
mis=$(( got_x + sent_y - got_y ))
echo "# $SWAPS swaps in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s while sending $sent packets"
if [ "$sent" -gt 10000 ] && [ "$mis" = 0 ] && [ "$dropped" = "$sent_x" ]; then
	ok xdp_swap_zero_misclassified
else
	fail xdp_swap_zero_misclassified "sent $sent: port 6000 got $got_x (want 0), port 6001 got $got_y of $sent_y, dropped $dropped of $sent_x"
fi
[ $failures = 0 ]
