#!/bin/sh
# 18-datachan-xdp: RFC 8783 filtering rules enforced in XDP, in the
# namespace lab (lib-lab.sh). curl in customer provisions over the data
# channel: an immediate drop-list of the attacker's network drops exactly
# what the attacker sends (matched-packets in the ACL's statistics equal
# to the packets sent) while the same port stays open to legit; then an
# activate-when-mitigating accept-list of legit, beside a signal-channel
# mitigation that drops the port for everybody, keeps legit flowing and
# counts it, and only while the mitigation is active. The drop-list's
# counters are in dotsctl show acls and in Prometheus too.
NAME=datachan-xdp
LAB=dx$$
. "$(dirname "$0")/lib-lab.sh"
lab_require $NAME
command -v curl >/dev/null || { skip "curl missing"; exit 77; }
lab_init
lab_up || { fail "lab namespaces"; exit 1; }
lab_conf
echo "data-channel listen $LAB_SERVER port 4443" >>"$T/dotsd.conf"
echo "metrics listen $LAB_SERVER port 9464" >>"$T/dotsd.conf"
lab_dotsd_start || { fail "dotsd did not start"; exit 1; }

CUID=lab-cuid
ROOT=https://dotsd.test:4443/restconf/data/ietf-dots-data-channel:dots-data
# dcurl METHOD PATH [BODY]: curl in customer as client1; status printed,
# body in $T/resp
dcurl() {
	set -- -X "$1" "$ROOT$2" ${3:+-H "Content-Type: application/yang-data+json" --data-binary "$3"}
	lab_exec customer curl -s -m 10 --resolve "dotsd.test:4443:$LAB_SERVER" \
	    --cacert "$T/c/ca.pem" --cert "$T/c/client1.pem" \
	    --key "$T/c/client1.key" -o "$T/resp" -w '%{http_code}' "$@"
}
# matched ACL ACE: matched-packets of one entry, from a data channel GET
matched() {
	dcurl GET "/dots-client=$CUID/acls/acl=$1" >/dev/null
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
for e in j["ietf-dots-data-channel:acl"][0]["aces"]["ace"]:
    if e["name"] == sys.argv[2]:
        print(e["statistics"]["matched-packets"])' "$T/resp" "$2"
}

r=$(dcurl POST "" "{\"ietf-dots-data-channel:dots-client\":[{\"cuid\":\"$CUID\"}]}")
[ "$r" = 201 ] && ok "register over the data channel: 201" ||
	fail "register: $r"

# --- drop-list, immediate ------------------------------------------
DL='{"ietf-dots-data-channel:acl":[{"name":"dl","activation-type":"immediate","aces":{"ace":[{"name":"atk","matches":{"ipv4":{"destination-ipv4-network":"198.18.10.10/32","source-ipv4-network":"198.18.2.0/24"},"udp":{"destination-port-range-or-operator":{"port":9000}}},"actions":{"forwarding":"drop"}}]}}]}'
r=$(dcurl PUT "/dots-client=$CUID/acls/acl=dl" "$DL")
[ "$r" = 201 ] && lab_xdp_rules_are 1 &&
	ok "drop-list PUT: 201, the rule is in XDP when the answer arrives" ||
	fail "drop-list: $r, XDP rules $(lab_xdp_rules)"
lab_recv_start 9000 6 || fail "UDP sink did not start"
lab_send_bg attacker "$LAB_VICTIM" 9000 "$T/atk" -n 3000 -r 3000
A=$SEND_PID
legit=$(lab_send legit 9000 -n 500 -r 500)
wait $A
atk=$(sed -n 's/^sent //p' "$T/atk")
lab_recv_wait
got=$(lab_recv_port 9000)
[ "$atk" = 3000 ] && [ "$got" = "$legit" ] && [ "$legit" = 500 ] &&
	ok "drop-list: $atk attack packets dropped, all $legit legit arrived" ||
	fail "drop-list: sent $atk attack + $legit legit, $got arrived"
m=$(matched dl atk)
[ "$m" = "$atk" ] && ok "ACL statistics: matched-packets $m = packets sent" ||
	fail "ACL statistics: matched-packets $m, sent $atk"
lab_ctl show acls | grep -q "dl .*atk .*$atk" &&
	ok "dotsctl show acls: the same count" || fail "dotsctl show acls"
# the same entry in Prometheus: packets and bytes as the ACL GET has them
octets=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["ietf-dots-data-channel:acl"][0]["aces"]["ace"][0]["statistics"]["matched-octets"])' "$T/resp")
lab_exec customer curl -s -m 5 "http://$LAB_SERVER:9464/metrics" >"$T/metrics"
L="client=\"[^\"]*\",cuid=\"$CUID\",acl=\"dl\",ace=\"atk\""
grep -q "^dotsd_acl_matched_packets_total{$L} $atk\$" "$T/metrics" &&
	grep -q "^dotsd_acl_matched_bytes_total{$L} $octets\$" "$T/metrics" &&
	grep -q "^dotsd_acl_active{$L} 1\$" "$T/metrics" && [ "$octets" -gt 0 ] &&
	ok "metrics: ACL entry matched $atk packets, $octets bytes, active" ||
	fail "metrics: $(grep '^dotsd_acl' "$T/metrics" | tr '\n' ' ') (octets $octets)"
r=$(dcurl DELETE "/dots-client=$CUID/acls/acl=dl")
[ "$r" = 204 ] && lab_xdp_rules_are 0 && ok "DELETE: 204, XDP rule gone" ||
	fail "DELETE drop-list: $r, rules $(lab_xdp_rules)"

# --- accept-list beside a mitigation ---------------------------------
AL='{"ietf-dots-data-channel:acl":[{"name":"al","aces":{"ace":[{"name":"legit","matches":{"ipv4":{"destination-ipv4-network":"198.18.10.10/32","source-ipv4-network":"198.18.3.0/24"},"udp":{"destination-port-range-or-operator":{"port":9000}}},"actions":{"forwarding":"accept"}}]}}]}'
r=$(dcurl PUT "/dots-client=$CUID/acls/acl=al" "$AL")
[ "$r" = 201 ] && lab_xdp_rules_are 0 &&
	ok "accept-list (activate-when-mitigating): 201, not in XDP yet" ||
	fail "accept-list: $r, rules $(lab_xdp_rules)"
lab_dc --cuid "$CUID" request --target "$LAB_VICTIM" --protocol udp \
    --port 9000 --mid 1 --lifetime -1
grep -q '^2.01 Created' "$T/dc.out" && ok "mitigation of port 9000: 2.01" ||
	fail "mitigation: $(head -2 "$T/dc.out" | tr '\n' ' ')"
check "accept-list activated with the mitigation: 2 XDP rules" 5 \
    lab_xdp_rules_are 2
lab_recv_start 9000 6 || fail "UDP sink did not start"
lab_send_bg attacker "$LAB_VICTIM" 9000 "$T/atk" -n 3000 -r 3000
A=$SEND_PID
legit=$(lab_send legit 9000 -n 500 -r 500)
wait $A
atk=$(sed -n 's/^sent //p' "$T/atk")
lab_recv_wait
got=$(lab_recv_port 9000)
[ "$got" = "$legit" ] && [ "$legit" = 500 ] && [ "$atk" = 3000 ] &&
	ok "mitigation drops $atk attack packets, accept-list keeps all $legit legit ones" ||
	fail "accept-list beside mitigation: sent $atk + $legit, $got arrived"
m=$(matched al legit)
[ "$m" = "$legit" ] && ok "accept-list statistics: matched-packets $m" ||
	fail "accept-list matched-packets $m, legit sent $legit"
lab_dc --cuid "$CUID" get --mid 1
d=$(sed -n 's/^  dropped [0-9]* bytes, \([0-9]*\) packets.*/\1/p' "$T/dc.out")
[ "$d" = "$atk" ] && ok "the mitigation's own drop count is the attack's: $d" ||
	fail "mitigation dropped $d, attack $atk"
lab_dc --cuid "$CUID" withdraw --mid 1
check "mitigation withdrawn: accept-list deactivated, XDP empty" 5 \
    lab_xdp_rules_are 0
check "reconcile: backends match" 3 lab_reconciled
lab_dotsd_stop_check
[ "$LAB_FAILED" = 0 ]
