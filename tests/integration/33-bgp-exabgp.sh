#!/bin/sh
# 33-bgp-exabgp: ExaBGP 4.2 (Debian) as an eBGP receiver that connects to
# us (we are passive). Its JSON API shows how it parsed every UPDATE:
# End-of-RIB per family, each flowspec component and action, RTBH routes
# with their communities and next hops (IPv4-mapped for IPv6 RTBH over an
# IPv4 session), a rule split below its 256-byte NLRI limit, withdraws.
. tests/integration/lib-bgp.sh
bgp_require bgp-exabgp exabgp
bgp_setup || { fail bgp-exabgp-setup "namespaces"; exit 1; }

cat >"$T/recv.sh" <<'EOF'
#!/bin/sh
while read -r line; do printf '%s\n' "$line" >>"$1"; done
EOF
chmod +x "$T/recv.sh"
: >"$T/recv.json"
cat >"$T/exabgp.conf" <<EOF
process recv {
	run $T/recv.sh $T/recv.json;
	encoder json;
}
neighbor $SPK4 {
	router-id $PEER4;
	local-address $PEER4;
	local-as 65001;
	peer-as 65000;
	family { ipv4 flow; ipv6 flow; ipv4 unicast; ipv6 unicast; }
	api { processes [ recv ]; receive { parsed; update; notification; } }
}
EOF
exabgp_start "$T/exabgp.conf"

cat >"$T/speaker.conf" <<EOF
conf router-id $SPK4
conf local-as 65000
conf connect-retry 1
conf damping off
conf listen $SPK4
conf neighbor $PEER4 remote-as 65001 passive rtbh-community 65001:666
start
EOF
driver_start "$T/speaker.conf" || { fail bgp-exabgp-driver "no start"; exit 1; }

out=$(drv_do "wait-up 1 30" "up" 35)
case $out in
"up 1") ok exabgp-session-passive ;;
*) fail exabgp-session-passive "$out"; exit 1 ;;
esac

# recv ERE: ExaBGP's JSON has a line matching
recv() { grep -Eq -- "$1" "$T/recv.json"; }
eors() {
	for f in '"ipv4", "safi" : "unicast"' '"ipv6", "safi" : "unicast"' \
	    '"ipv4", "safi" : "flow"' '"ipv6", "safi" : "flow"'; do
		grep -q "\"eor\": { \"afi\" : $f" "$T/recv.json" || return 1
	done
}
check exabgp-end-of-rib 10 eors

drv "rule 1 flow rate-bytes 125000 dst 198.18.6.1/32 src 198.19.0.0/16 proto 17 sport 53 pkt-len 500-1500 frag 0x02/0x02 tcp-flags 0x12/0x02"
drv "rule 1 flow drop dst 2001:db8:5::/48 src 2001:db8:6::/64 proto 58 icmp-type 128 dscp 10-12,46 flow-label 12345"
drv "rule 1 flow drop dst 198.18.5.0/24 proto 6 dport 80,443,8000-8080 icmp-type 3 icmp-code 0-4"
drv "rule 1 rtbh drop dst 198.18.7.7/32"
drv "rule 1 rtbh drop dst 2001:db8:7::7/128"
drv_do "commit 1" "commit 1" >/dev/null || fail exabgp-commit "$(tail -1 "$T/drv.out")"

check exabgp-flow4-components 10 recv \
	'"string": "flow destination-ipv4 198.18.6.1/32 source-ipv4 198.19.0.0/16 protocol =udp source-port =53 tcp-flags \[ =syn&!ack \] packet-length \[ >=500&<=1500 \] fragment =is-fragment"'
check exabgp-flow4-rate-bytes 2 recv \
	'"rate-limit:125000".*destination-ipv4": \[ "198.18.6.1/32'
check exabgp-flow4-ports-icmp 2 recv \
	'"rate-limit:0".*"string": "flow destination-ipv4 198.18.5.0/24 protocol =tcp destination-port \[ =80 =443 >=8000&<=8080 \] icmp-type =unreachable icmp-code <=4"'
check exabgp-flow6-components 2 recv \
	'"rate-limit:0".*"string": "flow destination-ipv6 2001:db8:5::/48/0 source-ipv6 2001:db8:6::/64/0 next-header =[^"]*58 icmp-type =[^"]*128 traffic-class \[ >=10&<=12 =46 \] flow-label =12345"'
check exabgp-rtbh4 2 recv \
	'"community": \[ \[ 65535, 666 \], \[ 65535, 65281 \], \[ 65001, 666 \] \] }, "announce": \{ "ipv4 unicast": \{ "198.18.1.1": \[ \{ "nlri": "198.18.7.7/32" \}'
check exabgp-rtbh6-mapped-next-hop 2 recv \
	'"community": \[ \[ 65535, 666 \], \[ 65535, 65281 \], \[ 65001, 666 \] \] }, "announce": \{ "ipv6 unicast": \{ "::ffff:198.18.1.1": \[ \{ "nlri": "2001:db8:7::7/128" \}'

# a rule of more than 256 bytes: ExaBGP 4.2 would reject it whole; split
drv "rule 2 flow drop dst 198.18.8.0/24 src 198.19.8.0/24 proto 6,17,1,47,50,51,132,89 port 10000-10010,20000-20010,30000-30010,40000-40010,50000-50010,60000-60010,61000-61010,62000-62010 icmp-type 1-2,4-5,7-8,10-11,13-14,16-17,19-20,22-23 dport 1000-1100,2000-2100,3000-3100,4000-4100,5000-5100,6000-6100,7000-7100,8000-8100 sport 1000-1100,2000-2100,3000-3100,4000-4100,5000-5100,6000-6100,7000-7100,8000-8100 pkt-len 100-200,300-400,500-600,700-800,900-1000,1100-1200,1300-1400,1500-1600 dscp 1,3,5,7,9,11,13,15"
drv_do "commit 2" "commit 2" >/dev/null
parts=$(drv_do "wait-announced 2 2 5" "^stats 2" |
	sed -n 's/.*announced \([0-9]*\).*/\1/p')
split_ok() {
	[ "$(grep -o '"flow destination-ipv4 198.18.8.0/24 ' "$T/recv.json" |
	    wc -l)" = "${parts:-0}" ] && [ "${parts:-0}" -ge 2 ]
}
check exabgp-long-rule-split 10 split_ok

# withdraws of every family
drv_do "withdraw 1" "withdraw 1" >/dev/null
check exabgp-withdraw-flow4 10 recv \
	'"withdraw": \{ "ipv4 flow": \[ \{ "destination-ipv4": \[ "198.18.(5.0/24|6.1/32)"'
check exabgp-withdraw-flow6 2 recv '"withdraw": \{ "ipv6 flow": \[ \{ "destination-ipv6": \[ "2001:db8:5::/48/0"'
check exabgp-withdraw-rtbh4 2 recv '"withdraw": \{ "ipv4 unicast": \[ \{ "nlri": "198.18.7.7/32" \}'
check exabgp-withdraw-rtbh6 2 recv '"withdraw": \{ "ipv6 unicast": \[ \{ "nlri": "2001:db8:7::7/128" \}'
if grep -q '"type": "notification"' "$T/recv.json"; then
	fail exabgp-no-notification "$(grep '"type": "notification"' "$T/recv.json" | head -1)"
else
	ok exabgp-no-notification
fi

[ $failures -eq 0 ]
