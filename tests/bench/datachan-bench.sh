#!/bin/sh
# datachan-bench: an RFC 8783 ACL of DC_BENCH_N (default 1,000) entries,
# each a drop of one IPv6 host of the customer's /64 from one source
# network, PUT over the data channel (curl in the lab's customer
# namespace, new TLS connection each time) until the 201: dotsd answers
# after every entry is in the XDP maps (engine_filter_apply is
# synchronous), so curl's total time is PUT -> enforced in XDP. Five
# PUTs, alternating two versions of the ACL (every rule replaced), then
# one checking the XDP rule count. Figures only.
NAME=datachan-bench
LAB=dcb$$
LAB_SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$LAB_SRC/tests/integration/lib-lab.sh"
N=${DC_BENCH_N:-1000}

out=$(lab_require $NAME)
if [ -n "$out" ]; then
	echo "$out"
	exit 77
fi
lab_init
lab_up || { echo "FAIL $NAME: lab"; exit 1; }
LAB_XDP_MAX_RULES=$((N * 2 + 100)) lab_conf
echo "data-channel listen $LAB_SERVER port 4443" >>"$T/dotsd.conf"
sed -i 's/^	indefinite-lifetime yes/	indefinite-lifetime yes\n	max-rules 0/' \
    "$T/dotsd.conf"
lab_dotsd_start || { echo "FAIL $NAME: dotsd"; exit 1; }
ROOT=https://dotsd.test:4443/restconf/data/ietf-dots-data-channel:dots-data
put() {	# put METHOD PATH FILE -> "code seconds"; TLS set-up into $T/tls
	lab_exec customer curl -s -m 60 --resolve "dotsd.test:4443:$LAB_SERVER" \
	    --cacert "$T/c/ca.pem" --cert "$T/c/client1.pem" \
	    --key "$T/c/client1.key" -o "$T/resp" \
	    -w '%{http_code} %{time_total} %{time_appconnect}' -X "$1" \
	    "$ROOT$2" -H "Content-Type: application/yang-data+json" \
	    --data-binary "@$3" >"$T/w"
	read -r code total tls <"$T/w"
	echo "$tls" >>"$T/tls"
	echo "$code $total"
}
echo '{"ietf-dots-data-channel:dots-client":[{"cuid":"bench"}]}' >"$T/reg"
put POST "" "$T/reg" >/dev/null
for v in 1 2; do
	python3 - "$N" "$v" >"$T/acl$v" <<'PY'
import json, sys
n, v = int(sys.argv[1]), int(sys.argv[2])
aces = [{"name": "e%d" % i, "matches": {"ipv6": {
    "destination-ipv6-network": "2001:db8:10::%x:%x/128" % (i // 65536 + 1, i % 65536),
    "source-ipv6-network": "2001:db8:%x::/48" % (0x100 + v)}},
    "actions": {"forwarding": "drop"}} for i in range(n)]
print(json.dumps({"ietf-dots-data-channel:acl": [{"name": "big",
    "activation-type": "immediate", "aces": {"ace": aces}}]}))
PY
done
# a new ACL (new filters, new XDP prefixes), then replacements of it
r=$(put PUT /dots-client=bench/acls/acl=big "$T/acl1")
case $r in 201\ *) ;; *) echo "FAIL $NAME: PUT: $r $(head -c 300 "$T/resp")"; exit 1 ;; esac
first=${r#* }
r=$(put DELETE /dots-client=bench/acls/acl=big "$T/acl1")
times=
for i in 1 2 3 4 5; do
	r=$(put PUT /dots-client=bench/acls/acl=big "$T/acl$(( i % 2 + 1 ))")
	case $r in 201\ *|204\ *) ;; *) echo "FAIL $NAME: PUT: $r $(head -c 300 "$T/resp")"; exit 1 ;; esac
	times="$times ${r#* }"
done
# a refresh (RFC 8783 §7.2: the client echoes its ACL): nothing changes
r=$(put PUT /dots-client=bench/acls/acl=big "$T/acl$(( 5 % 2 + 1 ))")
refresh=${r#* }
rules=$(lab_xdp_rules)
med=$(echo $times | tr ' ' '\n' | sort -n | sed -n 3p)
tls=$(sort -n "$T/tls" | sed -n "$(( ($(wc -l <"$T/tls") + 1) / 2 ))p")
echo "datachan: PUT of a $N-entry ACL -> enforced in XDP: first ${first}s; then (new, replace x4) median ${med}s of 5 (${times# }); refresh ${refresh}s; XDP rules $rules"
# the figure against the target, and how much of it is the new TLS
# connection (handshake with client certificate) rather than dotsd's work
awk -v f="$first" -v m="$med" -v t="$tls" 'BEGIN { printf "datachan: target 0.100s: first PUT %.0f%% of it, median %.0f%%; of each PUT, TLS set-up (median) %.3fs\n", f * 1000, m * 1000, t }'
[ "$rules" = "$N" ] || echo "FAIL $NAME: XDP holds $rules rules, not $N"
lab_dotsd_stop
