#!/bin/sh
# 31-bgp-gobgp: the speaker against gobgpd 3.10 (Debian) in namespaces.
# Two sessions: IPv4 with TCP MD5 (we connect) and IPv6 (gobgpd connects,
# we are passive, flowspec6/rtbh6 and drop only, redirect and sample).
# Every rule and route is checked in gobgpd's Adj-RIB-In with its
# communities; UPDATEs from gobgpd are counted; then ceilings,
# splitting of long NLRIs, withdraws, and re-announcement
# after gobgpd restarts.
. tests/integration/lib-bgp.sh
bgp_require bgp-gobgp gobgpd gobgp
bgp_setup || { fail bgp-gobgp-setup "namespaces"; exit 1; }

gobgp_conf "$T/gobgpd.toml" 65001 "$(gobgp_neighbor $SPK4 65000 \
'    auth-password = "s3cret"
  [neighbors.transport.config]
    passive-mode = true')
$(gobgp_neighbor $SPK6 65000)"
gobgp_start "$T/gobgpd.toml" || { fail bgp-gobgp-start "gobgpd"; exit 1; }

cat >"$T/speaker.conf" <<EOF
conf router-id $SPK4
conf local-as 65000
conf connect-retry 1
conf damping off
conf listen $SPK6
conf neighbor $PEER4 remote-as 65001 md5 s3cret rtbh-community 65001:666 rtbh-community 65001:9999 max-announce 50 mark 46
conf neighbor $PEER6 remote-as 65001 passive families flowspec6,rtbh6 actions drop redirect 65001:666 sample
start
EOF
driver_start "$T/speaker.conf" || { fail bgp-gobgp-driver "no start"; exit 1; }

check gobgp-session-ipv4-md5 20 gobgp_established $SPK4
check gobgp-session-ipv6-passive 20 gobgp_established $SPK6

# what gobgpd sends us is parsed, validated and counted, never used
gobgp global rib add -a ipv4 198.18.200.0/24 >/dev/null
gobgp global rib add -a ipv4-flowspec match destination 198.18.201.0/24 \
	then discard >/dev/null
counted() {
	drv_do peers "neighbor $PEER4 " |
		grep -q 'updates-in [1-9][0-9]* nlri-in 2 .*treat-as-withdraw 0 '
}
check gobgp-updates-from-peer-counted 10 counted

drv "rule 1 flow drop dst 198.18.5.0/24 proto 6 dport 80,443,8000-8080 tcp-flags 0x12/0x02"
drv "rule 1 flow rate-bytes 125000 dst 198.18.6.1/32 src 198.19.0.0/16 proto 17 sport 53 pkt-len 500-1500 frag 0x02/0x02"
drv "rule 1 flow rate-packets 1000 dst 198.18.6.2/32 port 0-1023 icmp-type 8 icmp-code 0 dscp 10-12,46"
drv "rule 1 flow drop dst 2001:db8:5::/48 src 2001:db8:6::/64 proto 58 icmp-type 128 flow-label 12345"
drv "rule 1 flow rate-bytes 1000 dst 2001:db8:9::/48"
drv "rule 1 rtbh drop dst 198.18.7.7/32"
drv "rule 1 rtbh drop dst 2001:db8:7::7/128"
drv_do "commit 1" "commit 1" >/dev/null || fail gobgp-commit "$(tail -1 "$T/drv.out")"

F4=ipv4-flowspec
F6=ipv6-flowspec
check gobgp-flow4-tcp-flags-ports 10 gobgp_has $SPK4 $F4 \
	'\[destination: 198.18.5.0/24\]\[protocol: ==tcp\]\[destination-port: ==80 ==443 >=8000&<=8080\]\[tcp-flags: =S&!A\].*discard'
check gobgp-flow4-rate-bytes 10 gobgp_has $SPK4 $F4 \
	'\[destination: 198.18.6.1/32\]\[source: 198.19.0.0/16\]\[protocol: ==udp\]\[source-port: ==53\]\[packet-length: >=500&<=1500\]\[fragment: =is-fragment\].*rate: 125000'
# gobgpd prints traffic-rate-packets (0x800c) as a raw number
check gobgp-flow4-rate-packets 10 gobgp_has $SPK4 $F4 \
	'\[destination: 198.18.6.2/32\]\[port: <=1023\]\[icmp-type: ==8\]\[icmp-code: ==0\]\[dscp: >=10&<=12 ==46\].*Extcomms: \[[0-9]+\]'
check gobgp-flow6-label 10 gobgp_has $SPK4 $F6 \
	'\[destination: 2001:db8:5::/48/0\]\[source: 2001:db8:6::/64/0\]\[protocol: ==58\]\[icmp-type: ==128\]\[label: ==12345\].*discard'
check gobgp-flow6-rate 10 gobgp_has $SPK4 $F6 \
	'\[destination: 2001:db8:9::/48/0\].*rate: 1000\.'
check gobgp-rtbh4-communities 10 gobgp_has $SPK4 ipv4 \
	'198.18.7.7/32 +198.18.1.1 .*Communities: blackhole, no-export, 65001:666, 65001:9999'
check gobgp-rtbh6-communities 10 gobgp_has $SPK4 ipv6 \
	'2001:db8:7::7/128 .*Communities: blackhole, no-export, 65001:666, 65001:9999'
check gobgp-rtbh6-over-ipv6 10 gobgp_has $SPK6 ipv6 \
	'2001:db8:7::7/128 +2001:db8:1::1 .*Communities: blackhole, no-export\}'
# optional actions: rt-redirect instead of discard and the sample bit for
# the IPv6 neighbor; traffic-marking of rate-limited rules for the IPv4 one
check gobgp-flow6-redirect 10 gobgp_has $SPK6 $F6 \
	'2001:db8:5::/48.*redirect: 65001:666'
check gobgp-flow6-sample 2 gobgp_has $SPK6 $F6 '2001:db8:5::/48.*sample'
check gobgp-flow4-marking 2 gobgp_has $SPK4 $F4 \
	'198.18.6.1/32.*rate: 125000.*remark: 46'
# per-peer policy: the IPv6 neighbor takes flowspec6 and rtbh6, drop only
policy_ok() {
	gobgp_count_is $SPK6 $F4 0 && gobgp_count_is $SPK6 ipv4 0 &&
	gobgp_count_is $SPK6 $F6 1 && gobgp_count_is $SPK6 ipv6 1
}
check gobgp-policy-families 5 policy_ok
out=$(drv_do "stats 1" "^stats 1")
case $out in
"stats 1 announced 7 peers_up 2") ok gobgp-stats ;;
*) fail gobgp-stats "$out" ;;
esac

# max-announce 50 on the IPv4 neighbor: 60 more routes are refused whole
out=$(drv_do "gen 100 60" "gen")
case $out in
error*max-announce*) ok gobgp-max-announce-refused ;;
*) fail gobgp-max-announce-refused "$out" ;;
esac
check gobgp-max-announce-nothing-sent 3 gobgp_count_is $SPK4 $F4 3

# a rule too long for one 239-byte NLRI is split; the family keeps working
drv "rule 3 flow drop dst 198.18.8.0/24 src 198.19.8.0/24 proto 6,17,1,47,50,51,132,89 port 10000-10010,20000-20010,30000-30010,40000-40010,50000-50010,60000-60010,61000-61010,62000-62010 icmp-type 1-2,4-5,7-8,10-11,13-14,16-17,19-20,22-23 dport 1000-1100,2000-2100,3000-3100,4000-4100,5000-5100,6000-6100,7000-7100,8000-8100 sport 1000-1100,2000-2100,3000-3100,4000-4100,5000-5100,6000-6100,7000-7100,8000-8100 pkt-len 100-200,300-400,500-600,700-800,900-1000,1100-1200,1300-1400,1500-1600 dscp 1,3,5,7,9,11,13,15"
drv_do "commit 3" "commit 3" >/dev/null
split=$(drv_do "stats 3" "^stats 3" | sed -n 's/.*announced \([0-9]*\).*/\1/p')
split_ok() {
	[ "${split:-0}" -ge 2 ] && gobgp_count_is $SPK4 $F4 $((3 + split))
}
check gobgp-long-rule-split 10 split_ok
drv "rule 4 flow drop dst 198.18.9.0/24"
drv_do "commit 4" "commit 4" >/dev/null
check gobgp-family-alive-after-split 10 gobgp_has $SPK4 $F4 'destination: 198.18.9.0/24'

# withdraws
drv_do "withdraw 3" "withdraw 3" >/dev/null
drv_do "withdraw 4" "withdraw 4" >/dev/null
check gobgp-withdraw-split 10 gobgp_count_is $SPK4 $F4 3
drv_do "withdraw 1" "withdraw 1" >/dev/null
all_withdrawn() {
	for f in $F4 $F6 ipv4 ipv6; do
		gobgp_count_is $SPK4 $f 0 || return 1
	done
}
check gobgp-withdraw-all 10 all_withdrawn

# re-announcement (route refresh is in 32-bgp-bird: gobgpd's soft reset
# in uses its own Adj-RIB-In and sends no ROUTE-REFRESH)
drv "rule 1 flow drop dst 198.18.5.0/24 proto 6"
drv "rule 1 rtbh drop dst 198.18.7.7/32"
drv_do "commit 1" "commit 1" >/dev/null
check gobgp-reannounce 10 gobgp_count_is $SPK4 $F4 1

# gobgpd restarts: the sessions come back and get the full table
gobgp_stop
gobgp_start "$T/gobgpd.toml" || fail gobgp-restart "gobgpd"
check gobgp-restart-session 30 gobgp_established $SPK4
check gobgp-restart-reannounced-flow 10 gobgp_has $SPK4 $F4 \
	'destination: 198.18.5.0/24\]\[protocol: ==tcp\].*discard'
check gobgp-restart-reannounced-rtbh 10 gobgp_has $SPK4 ipv4 \
	'198.18.7.7/32 .*blackhole'
check gobgp-restart-session6 30 gobgp_established $SPK6

# The speaker (dotsd) is killed with SIGKILL and back 0.5 s later, with
# the default connect-retry. gobgpd refuses reconnects for about 5 s after
# the reset (it closes accepted connections while its FSM idles), so the
# speaker must retry at most ~1 s apart meanwhile (it used to wait the
# whole connect-retry, 5 s, then 10 s: 6-14 s in all). Prints the figure.
grep -v '^conf connect-retry' "$T/speaker.conf" >"$T/speaker-default.conf"
kill -9 "$DRIVER_PID"
wait "$DRIVER_PID" 2>/dev/null
exec 3>&-
sleep 0.5
rm -f "$T/cmd"
t0=$(date +%s%N)
DRV_FLAGS=-v driver_start "$T/speaker-default.conf" ||
	fail gobgp-kill9-driver "no start"
drv "rule 1 flow drop dst 198.18.5.0/24 proto 6"
drv_do "commit 1" "commit 1" >/dev/null
i=0
while ! gobgp_has $SPK4 $F4 'destination: 198.18.5.0/24'; do
	i=$((i + 1))
	[ $i -gt 400 ] && break
	sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# the attempts on the IPv4 session before it was established
gaps=$(awk '/neighbor 198.18.1.2: Idle -> Connect/ {
	split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
	if (n++) { g = s - prev; if (g > max) max = g }
	prev = s }
	/neighbor 198.18.1.2: OpenConfirm -> Established/ { exit }
	END { printf "%d %.0f", n, max * 1000 }' "$T/drv.err")
echo "# gobgpd holds the route again $ms ms after the restart" \
	"(SIGKILL + 0.5 s); attempts, longest gap in ms: $gaps"
if [ $i -gt 400 ]; then
	fail gobgp-kill9-reannounce "no route after $ms ms"
elif [ $ms -gt 8000 ]; then
	fail gobgp-kill9-reannounce "$ms ms"
else
	ok gobgp-kill9-reannounce
fi
case $gaps in
0\ *|1\ *) ok gobgp-kill9-retry-gaps ;;	# accepted at once: nothing to see
*)	[ "${gaps#* }" -le 1100 ] && ok gobgp-kill9-retry-gaps ||
		fail gobgp-kill9-retry-gaps "attempts, longest gap: $gaps" ;;
esac

[ $failures -eq 0 ]
