#!/bin/sh
# 32-bgp-bird: the speaker against BIRD 2 over iBGP (how an operator with
# BIRD on the box peers it). BIRD resets the whole session on any
# flowspec encoding fault, so 48 generated rules of every component must
# all land without a reset. Also: rendering and communities of flowspec
# and RTBH routes, IPv6 transport, withdraws, ROUTE-REFRESH (birdc reload
# in) and re-announcement after BIRD restarts.
. tests/integration/lib-bgp.sh
bgp_require bgp-bird bird birdc
bgp_setup || { fail bgp-bird-setup "namespaces"; exit 1; }

cat >"$T/bird.conf" <<EOF
log "$T/bird.log" all;
router id $PEER4;
protocol device {}
flow4 table ft4;
flow6 table ft6;
protocol bgp up4 {
	local $PEER4 as 65000;
	neighbor $SPK4 as 65000;
	passive on;
	ipv4 { import all; export none; };
	ipv6 { import all; export none; };
	flow4 { table ft4; import all; export none; };
	flow6 { table ft6; import all; export none; };
}
protocol bgp up6 {
	local $PEER6 as 65000;
	neighbor $SPK6 as 65000;
	connect retry time 1;
	ipv6 { import all; export none; };
	flow6 { table ft6; import all; export none; };
}
EOF
bird_start "$T/bird.conf" || { fail bgp-bird-start "bird"; exit 1; }

cat >"$T/speaker.conf" <<EOF
conf router-id $SPK4
conf local-as 65000
conf connect-retry 1
conf damping off
conf hold-time 9
conf listen $SPK6
conf neighbor $PEER4 remote-as 65000 rtbh-community 65000:666
conf neighbor $PEER6 remote-as 65000 passive families flowspec6,rtbh6
start
EOF
driver_start "$T/speaker.conf" || { fail bgp-bird-driver "no start"; exit 1; }

check bird-session-ipv4 20 bird_established up4
check bird-session-ipv6 20 bird_established up6
hold_ok() { birdc show protocols all up4 | grep -q 'Hold timer: .*/9$'; }
check bird-hold-time-negotiated 2 hold_ok

drv "rule 1 flow drop dst 198.18.5.0/24 proto 6 dport 80,443,8000-8080 tcp-flags 0x12/0x02"
drv "rule 1 flow rate-bytes 125000 dst 198.18.6.1/32 proto 17 sport 53 pkt-len 500-1500 frag 0x02/0x02"
drv "rule 1 flow rate-packets 1000 dst 2001:db8:5::/48 src 2001:db8:6::/64 proto 58 icmp-type 128 icmp-code 0 dscp 10-12,46 flow-label 12345"
drv "rule 1 rtbh drop dst 198.18.7.7/32"
drv "rule 1 rtbh drop dst 2001:db8:7::7/128"
drv_do "commit 1" "commit 1" >/dev/null || fail bird-commit "$(tail -1 "$T/drv.out")"

check bird-flow4-drop 10 bird_route ft4 \
	'flow4 \{ dst 198.18.5.0/24; proto 6; dport 80,443,8000\.\.8080; tcp flags 0x2/0x2 && 0x0/0x10; \}' \
	'ext_community: \(generic, 0x8006fde8, 0x0\)'
check bird-flow4-rate-bytes 10 bird_route ft4 \
	'flow4 \{ dst 198.18.6.1/32; proto 17; sport 53; length 500\.\.1500; fragment is_fragment; \}' \
	'ext_community: \(generic, 0x8006fde8, 0x47f42400\)'
check bird-flow6-rate-packets 10 bird_route ft6 \
	'flow6 \{ dst 2001:db8:5::/48; src 2001:db8:6::/64; next header 58; icmp type 128; icmp code 0; dscp 10\.\.12,46; label 12345; \}' \
	'ext_community: \(generic, 0x800cfde8, 0x447a0000\)'
check bird-rtbh4-communities 10 bird_route master4 '^198.18.7.7/32 ' \
	'community: \(65535,666\) \(65535,65281\) \(65000,666\)'
check bird-rtbh4-next-hop 2 bird_route master4 '^198.18.7.7/32 ' \
	'next_hop: 198.18.1.1$'
check bird-rtbh6-over-ipv6 10 bird_route master6 '^2001:db8:7::7/128 .*up6' \
	'next_hop: 2001:db8:1::1'
check bird-ibgp-local-pref 2 bird_route master4 '^198.18.7.7/32 ' \
	'local_pref: 100'
# per-peer families: up6 got only the IPv6 flowspec and RTBH routes
policy_ok() {
	bird_count_is ft6 up6 1 && bird_count_is master6 up6 1 &&
	bird_count_is ft4 up6 0 && bird_count_is master4 up6 0
}
check bird-policy-families 5 policy_ok

# 48 generated rules of every component, fixed seed: one session, no reset
awk -v seed=8955 '
function band(a, b,	r, p) {	# mawk has no and()
	r = 0
	p = 1
	while (a > 0 && b > 0) {
		if (a % 2 && b % 2)
			r += p
		a = int(a / 2)
		b = int(b / 2)
		p *= 2
	}
	return r
}
BEGIN {
	srand(seed)
	for (i = 0; i < 48; i++) {
		v6 = (i % 3 == 2)
		a = rand() < 0.4 ? "drop" : rand() < 0.5 ? \
		    "rate-bytes " int(rand() * 1e9) : \
		    "rate-packets " int(rand() * 1e6)
		if (v6)
			s = "dst 2001:db8:" 100 + i "::/48"
		else
			s = "dst 198.18." 100 + i ".0/" (24 + int(rand() * 9))
		if (rand() < 0.4)
			s = s (v6 ? " src 2001:db8:ff:" i "::/64" : \
			    " src 198.19." i ".0/24")
		if (rand() < 0.6)
			s = s " proto " (v6 ? "58,6" : "6,17,1")
		split("port dport sport pkt-len", f, " ")
		for (k = 1; k <= 4; k++) {
			if (rand() < 0.5)
				continue
			n = 1 + int(rand() * 5)
			l = ""
			for (j = 0; j < n; j++) {
				lo = int(rand() * 60000)
				r = rand() < 0.5 ? lo : lo "-" lo + int(rand() * 500)
				l = l (j ? "," : "") r
			}
			s = s " " f[k] " " l
		}
		if (rand() < 0.3)
			s = s " icmp-type " int(rand() * 20) " icmp-code 0-" int(rand() * 5)
		if (rand() < 0.3) {
			m = 1 + int(rand() * 63)
			s = s " tcp-flags " m "/" band(m, int(rand() * 64))
		}
		if (rand() < 0.3)
			s = s " dscp " int(rand() * 30) "-" 30 + int(rand() * 33) ",46"
		if (rand() < 0.3) {
			m = v6 ? 2 + 2 * int(rand() * 7) : 1 + int(rand() * 15)
			s = s " frag " m "/" band(m, int(rand() * 16))
		}
		if (v6 && rand() < 0.4)
			s = s " flow-label " int(rand() * 1048576)
		print "rule 2 flow " a " " s
	}
}' >"$T/rules"
while read -r line; do drv "$line"; done <"$T/rules"
out=$(drv_do "commit 2" "commit 2")
case $out in
"ok commit 2") ok bird-generated-rules-accepted ;;
*) fail bird-generated-rules-accepted "$out" ;;
esac
# 48 or more routes (a rule may be split); then let the queue drain
drv_do "wait-announced 2 48 10" "^stats 2" >/dev/null
sleep 1
n=$(drv_do "stats 2" "^stats 2" | sed -n 's/.*announced \([0-9]*\).*/\1/p')
gen_ok() {
	[ "$((  $(bird_count ft4 up4) + $(bird_count ft6 up4) ))" = \
	    "$((n + 3))" ]
}
check bird-generated-rules-in-rib 10 gen_ok
echo "# generated: $(wc -l <"$T/rules") rules, $n routes; BIRD has $(bird_count ft4 up4) + $(bird_count ft6 up4) with group 1"
no_reset() {
	! grep -Eq 'up4: (Error|Received: )' "$T/bird.log" &&
	drv_do peers "neighbor $PEER4 " | grep -Eq 'established 1( |$)'
}
check bird-no-session-reset 2 no_reset

# withdraws
drv_do "withdraw 2" "withdraw 2" >/dev/null
w2_ok() { bird_count_is ft4 up4 2 && bird_count_is ft6 up4 1; }
check bird-withdraw-group 10 w2_ok
drv_do "withdraw 1" "withdraw 1" >/dev/null
w1_ok() {
	for t in ft4 ft6 master4 master6; do
		bird_count_is $t up4 0 && bird_count_is $t up6 0 || return 1
	done
}
check bird-withdraw-all 10 w1_ok

# ROUTE-REFRESH: "birdc reload in" asks for everything again
drv "rule 1 flow drop dst 198.18.5.0/24 proto 6"
drv "rule 1 rtbh drop dst 198.18.7.7/32"
drv_do "commit 1" "commit 1" >/dev/null
check bird-reannounce 10 bird_count_is ft4 up4 1
birdc reload in up4 >/dev/null
refreshed() {
	drv_do peers "neighbor $PEER4 " | grep -q 'refreshes-in [1-9]'
}
check bird-route-refresh 10 refreshed
check bird-route-refresh-rib 5 bird_count_is master4 up4 1

# BIRD restarts: both sessions come back with the full table
bird_stop
bird_start "$T/bird.conf" || fail bird-restart "bird"
check bird-restart-session 30 bird_established up4
check bird-restart-reannounced 10 bird_route ft4 \
	'flow4 \{ dst 198.18.5.0/24; proto 6; \}' 'ext_community'
check bird-restart-reannounced-rtbh 10 bird_count_is master4 up4 1

[ $failures -eq 0 ]
