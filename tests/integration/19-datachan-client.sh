#!/bin/sh
# dots-client's RFC 8783 data channel commands against dotsd: register,
# aliases and ACLs from options and from JSON files, GETs, capabilities,
# the exit codes of 201/204/404/409/400 answers, and what dotsd holds
# afterwards (checked with curl and dotsctl show acls, not with
# dots-client itself).
NAME=19-datachan-client
. "$(dirname "$0")/lib-signal.sh"
command -v curl >/dev/null || { skip "curl missing"; exit 77; }
sig_setup
DPORT=$((PORT + 1))
sig_conf <<CONF
data-channel listen 127.0.0.1 port $DPORT
CONF
sig_start
FAILED=
DOTSCTL=$SRC/$OUT/bin/dotsctl
CLIENT=$SRC/$OUT/bin/dots-client
ROOT=https://127.0.0.1:$DPORT/restconf/data/ietf-dots-data-channel:dots-data

# dd ARGS...: dots-client data as client1; stdout in $T/out, stderr in
# $T/err; prints the exit code
dd() {
	"$CLIENT" data -s "https://127.0.0.1:$DPORT" --cert "$T/c/client1.pem" \
	    --key "$T/c/client1.key" --ca "$T/c/ca.pem" "$@" >"$T/out" \
	    2>"$T/err"
	echo $?
}
# independent look: curl GET PATH -> body in $T/resp, status printed
cget() {
	curl -s -m 10 --cacert "$T/c/ca.pem" --cert "$T/c/client1.pem" \
	    --key "$T/c/client1.key" -o "$T/resp" -w '%{http_code}' "$ROOT$1"
}
py() {	# py FILE EXPR: a python expression over the JSON in FILE as j
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
active() {
	"$DOTSCTL" -j -s "$T/dotsd.sock" show acls | python3 -c 'import json,sys
print(sum(1 for a in json.load(sys.stdin)["result"] if a["acl"] == sys.argv[1] and a["active"]))' "$1"
}

# --- usage errors: exit 1, nothing sent ---
r=$("$CLIENT" data register >/dev/null 2>&1; echo $?)
[ "$r" = 1 ] && ok "no server or credentials: exit 1" || fail "usage: $r"
r=$(dd acl delete)
[ "$r" = 1 ] && grep -q "needs a name" "$T/err" &&
	ok "acl delete without a name: exit 1" || fail "acl delete: $r"
r=$(dd acl put x --destination 198.18.1.1/32 --destination-port 53)
[ "$r" = 1 ] && grep -q "tcp or udp" "$T/err" &&
	ok "ports without a protocol: exit 1" || fail "ports: $r $(cat "$T/err")"

# --- capabilities, registration (the cuid derived from the certificate) ---
r=$(dd capabilities)
[ "$r" = 0 ] && [ "$(py "$T/out" 'j["ietf-dots-data-channel:capabilities"]["rate-limit"]')" = True ] &&
	ok "capabilities: exit 0, the server's JSON on stdout" ||
	fail "capabilities: $r $(cat "$T/err")"
r=$(dd -v register)
CUID=$(sed -n 's/^cuid //p' "$T/err")
[ "$r" = 0 ] && [ -n "$CUID" ] && [ "$(cget /dots-client=$CUID)" = 200 ] &&
	ok "register: exit 0, dotsd has dots-client $CUID" ||
	fail "register: $r cuid '$CUID' $(cat "$T/err")"
r=$(dd register)
[ "$r" = 5 ] && grep -q "409 resource-denied" "$T/err" &&
	ok "register again: 409, exit 5, the error on stderr" ||
	fail "register again: $r $(cat "$T/err")"
r=$(dd --cuid other register --cdid gw1)
[ "$r" = 3 ] && grep -q "400" "$T/err" &&
	ok "cdid from a client that is no gateway: 400, exit 3" ||
	fail "cdid: $r $(cat "$T/err")"

# --- aliases ---
r=$(dd alias put www --target 198.18.7.0/24 --port 443 --port 8000-8080 \
    --protocol tcp --fqdn www.example)
cget "/dots-client=$CUID/aliases/alias=www" >/dev/null
[ "$r" = 0 ] &&
	[ "$(py "$T/resp" 'j["ietf-dots-data-channel:alias"][0]["target-port-range"]')" = "[{'lower-port': 443}, {'lower-port': 8000, 'upper-port': 8080}]" ] &&
	[ "$(py "$T/resp" 'j["ietf-dots-data-channel:alias"][0]["target-protocol"]')" = "[6]" ] &&
	ok "alias put from options: exit 0, stored as given" ||
	fail "alias put: $r $(cat "$T/err") $(cat "$T/resp")"
r=$(dd alias put far --target 192.0.2.0/24)
[ "$r" = 3 ] && grep -q "403 access-denied" "$T/err" &&
	ok "alias outside the client's domain: 403, exit 3" ||
	fail "alias far: $r $(cat "$T/err")"
cat >"$T/al.json" <<'J'
{"ietf-dots-data-channel:aliases":{"alias":[{"name":"f1","target-prefix":["198.18.8.0/24"]}]}}
J
r=$(dd alias put --file "$T/al.json")
r2=$(dd alias put --file "$T/al.json")
[ "$r" = 0 ] && [ "$r2" = 5 ] && ok "alias from a file (POST): created, again 409" ||
	fail "alias file: $r $r2 $(cat "$T/err")"
r=$(dd alias get)
[ "$r" = 0 ] && [ "$(py "$T/out" 'sorted(a["name"] for a in j["ietf-dots-data-channel:aliases"]["alias"])')" = "['f1', 'www']" ] &&
	ok "alias get: both" || fail "alias get: $r $(cat "$T/out")"
r=$(dd alias delete f1)
r2=$(dd alias delete f1)
[ "$r" = 0 ] && [ "$r2" = 3 ] && grep -q 404 "$T/err" &&
	[ "$(cget "/dots-client=$CUID/aliases/alias=f1")" = 404 ] &&
	ok "alias delete: exit 0; again 404, exit 3" ||
	fail "alias delete: $r $r2"

# --- ACLs ---
r=$(dd acl put dl --activation immediate --destination 198.18.1.1/32 \
    --source 203.0.113.0/24 --source 2001:db8:99::/48 --protocol udp \
    --destination-port 53)
[ "$r" = 1 ] && grep -q "families" "$T/err" &&
	ok "acl put mixing address families: exit 1" || fail "mixed: $r $(cat "$T/err")"
r=$(dd acl put dl --activation immediate --destination 198.18.1.1/32 \
    --source 203.0.113.0/24 --source 198.51.100.0/24 --protocol udp \
    --destination-port 53)
cget "/dots-client=$CUID/acls/acl=dl" >/dev/null
[ "$r" = 0 ] && [ "$(active dl)" = 2 ] &&
	[ "$(py "$T/resp" 'len(j["ietf-dots-data-channel:acl"][0]["aces"]["ace"])')" = 2 ] &&
	[ "$(py "$T/resp" 'j["ietf-dots-data-channel:acl"][0]["aces"]["ace"][1]["matches"]["udp"]["destination-port-range-or-operator"]["port"]')" = 53 ] &&
	ok "acl put from options: 2 entries, immediate, both in force" ||
	fail "acl put: $r active $(active dl) $(cat "$T/err")"
r=$(dd acl put rl --activation immediate --destination 198.18.2.0/24 \
    --protocol tcp --action rate-limit --rate 20000)
cget "/dots-client=$CUID/acls/acl=rl" >/dev/null
[ "$r" = 0 ] &&
	[ "$(py "$T/resp" '"20000.00" in str(j["ietf-dots-data-channel:acl"][0]["aces"]["ace"][0]["actions"])')" = True ] &&
	ok "acl put rate-limit: 20000.00 bytes/s stored" ||
	fail "rate-limit: $r $(cat "$T/err") $(cat "$T/resp")"
r=$(dd acl put t --activation immediate --destination 192.0.2.1/32)
[ "$r" = 3 ] && grep -q 403 "$T/err" &&
	ok "acl destination outside the domain: 403, exit 3" ||
	fail "acl outside: $r $(cat "$T/err")"
cat >"$T/acl.json" <<'J'
{"ietf-dots-data-channel:acl":[{"name":"awm","aces":{"ace":[{"name":"a1","matches":{"ipv6":{"destination-ipv6-network":"2001:db8:6401::1/128"}},"actions":{"forwarding":"drop"}}]}}]}
J
r=$(dd acl put awm --file "$T/acl.json")
[ "$r" = 0 ] && [ "$(active awm)" = 0 ] &&
	[ "$(cget "/dots-client=$CUID/acls/acl=awm")" = 200 ] &&
	ok "acl from a file (PUT): activate-when-mitigating, not in force" ||
	fail "acl file: $r $(cat "$T/err")"
r=$(dd acl get)
[ "$r" = 0 ] && [ "$(py "$T/out" 'sorted(a["name"] for a in j["ietf-dots-data-channel:acls"]["acl"])')" = "['awm', 'dl', 'rl']" ] &&
	ok "acl get: all three, with statistics" || fail "acl get: $r $(head -c 300 "$T/out")"
r=$(dd acl get dl)
[ "$r" = 0 ] && [ "$(py "$T/out" 'j["ietf-dots-data-channel:acl"][0]["aces"]["ace"][0]["statistics"]["matched-packets"]')" = 0 ] &&
	ok "acl get dl: matched-packets" || fail "acl get dl: $r"
r=$(dd acl delete dl)
[ "$r" = 0 ] && [ "$(active dl)" = 0 ] &&
	[ "$(cget "/dots-client=$CUID/acls/acl=dl")" = 404 ] &&
	ok "acl delete: gone and withdrawn" || fail "acl delete: $r"
r=$(dd acl get nothing)
[ "$r" = 3 ] && grep -q 404 "$T/err" && ok "acl get unknown: 404, exit 3" ||
	fail "acl get unknown: $r"

# --- unregister, transport errors ---
r=$(dd unregister)
[ "$r" = 0 ] && [ "$(cget "/dots-client=$CUID")" = 404 ] && [ "$(active rl)" = 0 ] &&
	ok "unregister: registration, aliases and ACLs gone" ||
	fail "unregister: $r"
r=$("$CLIENT" data -s "https://127.0.0.1:$DPORT" --cert "$T/c/foreign.pem" \
    --key "$T/c/foreign.key" --ca "$T/c/ca.pem" capabilities 2>"$T/err" \
    >/dev/null; echo $?)
[ "$r" = 2 ] && ok "certificate of a foreign CA: handshake refused, exit 2" ||
	fail "foreign: $r $(cat "$T/err")"
sig_alive && ok "dotsd alive" || fail "dotsd died"
[ -z "$FAILED" ]
