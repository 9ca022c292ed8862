#!/bin/sh
# The RFC 8783 data channel over HTTPS, driven by curl with client
# certificates: root discovery, registration, aliases, ACLs and every
# error path (RESTCONF codes with an ietf-restconf errors body), ACL
# activation while a signal-channel mitigation of the same cuid is
# active, alias-name in a mitigation request, and a kill -9 that loses
# nothing acknowledged. Enforcement runs on the null backend here
# (dotsctl show acls); 18-datachan-xdp.sh counts real drops.
NAME=17-datachan
. "$(dirname "$0")/lib-signal.sh"
command -v curl >/dev/null || { skip "curl missing"; exit 77; }
sig_setup
DPORT=$((PORT + 1))
sig_conf <<CONF
data-channel listen 127.0.0.1 port $DPORT
active-but-terminating 0
client "gw" {
	identity spki-sha256 $(cat "$T/c/client2.spki" 2>/dev/null || echo 00)
	prefix 203.0.113.0/24
	gateway yes
}
CONF
# client2 is "two" by cn; the spki client "gw" is never matched first
sig_start
FAILED=
DOTSCTL=$SRC/$OUT/bin/dotsctl
ROOT=https://127.0.0.1:$DPORT/restconf/data/ietf-dots-data-channel:dots-data
CT="Content-Type: application/yang-data+json"

# dc CERT METHOD PATH [BODY [CONTENT-TYPE]]: the HTTP status; the body in
# $T/resp, headers in $T/hdr. CERT "none" sends no client certificate.
dc() {
	cert=$1 method=$2 path=$3 body=${4:-} ct=${5:-$CT}
	set -- --cacert "$T/c/ca.pem"
	[ "$cert" = none ] ||
		set -- "$@" --cert "$T/c/$cert.pem" --key "$T/c/$cert.key"
	[ -z "$body" ] || set -- "$@" -H "$ct" --data-binary "$body"
	curl -s -m 10 -o "$T/resp" -D "$T/hdr" -w '%{http_code}' -X "$method" \
		"$@" "$ROOT$path" 2>/dev/null || echo " curl-failed"
}
# jq-less JSON check: a python expression over the last response j
resp() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/resp" "$1" 2>/dev/null
}
errtag() { resp 'j["ietf-restconf:errors"]["error"][0]["error-tag"]'; }

# --- discovery, TLS identities ---
r=$(curl -s -m 10 --cacert "$T/c/ca.pem" --cert "$T/c/client1.pem" \
	--key "$T/c/client1.key" -o "$T/resp" -w '%{http_code}' \
	"https://127.0.0.1:$DPORT/.well-known/host-meta")
[ "$r" = 200 ] && grep -q "rel='restconf' href='/restconf'" "$T/resp" &&
	ok "host-meta names the RESTCONF root" || fail "host-meta: $r"
r=$(dc none GET /capabilities)
case $r in *curl-failed*|000) ok "no client certificate: handshake refused" ;;
*) fail "no client certificate: $r" ;; esac
r=$(dc foreign GET /capabilities)
case $r in *curl-failed*|000) ok "certificate of a foreign CA: refused" ;;
*) fail "foreign CA: $r" ;; esac
r=$(dc expired GET /capabilities)
case $r in *curl-failed*|000) ok "expired certificate: refused" ;;
*) fail "expired certificate: $r" ;; esac
r=$(dc client1 GET /capabilities)
[ "$r" = 200 ] &&
	[ "$(resp 'j["ietf-dots-data-channel:capabilities"]["ipv4"]["ttl"]')" = False ] &&
	[ "$(resp 'j["ietf-dots-data-channel:capabilities"]["rate-limit"]')" = True ] &&
	grep -qi "content-type: application/yang-data+json" "$T/hdr" &&
	ok "capabilities: 200, yang-data+json, ttl false, rate-limit true" ||
	fail "capabilities: $r"

# --- registration (§5) ---
REG='{"ietf-dots-data-channel:dots-client":[{"cuid":"cuid-one"}]}'
r=$(dc client1 POST "" "$REG")
[ "$r" = 201 ] && grep -qi "^location: .*dots-client=cuid-one" "$T/hdr" &&
	ok "register: 201 with Location" || fail "register: $r"
r=$(dc client1 POST "" "$REG")
[ "$r" = 409 ] && [ "$(errtag)" = resource-denied ] &&
	ok "register again: 409 resource-denied" || fail "re-register: $r"
r=$(dc client1 PUT /dots-client=cuid-one "$REG")
[ "$r" = 204 ] && ok "PUT registration: 204" || fail "PUT registration: $r"
r=$(dc client2 PUT /dots-client=cuid-one \
	'{"ietf-dots-data-channel:dots-client":[{"cuid":"cuid-one"}]}')
[ "$r" = 409 ] && ok "another client's cuid: 409" || fail "foreign cuid: $r"
r=$(dc client1 POST "" '{"ietf-dots-data-channel:dots-client":[{}]}')
[ "$r" = 400 ] && [ "$(errtag)" = missing-attribute ] &&
	ok "register without cuid: 400 missing-attribute" || fail "no cuid: $r"
r=$(dc client1 POST "" \
	'{"ietf-dots-data-channel:dots-client":[{"cuid":"x","cdid":"d"}]}')
[ "$r" = 400 ] && ok "cdid from a client that is no gateway: 400" ||
	fail "cdid: $r"
r=$(dc client1 POST "" '{"ietf-dots-data-channel:dots-client":[{"cuid":"a"},{"cuid":"b"}]}')
[ "$r" = 400 ] && ok "two dots-client entries: 400" || fail "two clients: $r"
r=$(dc client1 POST "" "$REG" text/plain)
[ "$r" = 415 ] && ok "wrong Content-Type: 415" || fail "content-type: $r"
r=$(dc client1 POST "" '{"ietf-dots-data-channel:dots-client":')
[ "$r" = 400 ] && [ "$(errtag)" = malformed-message ] &&
	ok "broken JSON: 400 malformed-message" || fail "broken JSON: $r"
r=$(dc client1 POST "" '{"ietf-dots-data-channel:dots-client":[{"cuid":"c","bogus":1}]}')
[ "$r" = 400 ] && [ "$(errtag)" = unknown-element ] &&
	ok "unknown member: 400 unknown-element" || fail "unknown member: $r"
r=$(dc client1 GET /nothing-here)
[ "$r" = 404 ] && ok "unknown resource: 404" || fail "unknown resource: $r"
r=$(dc client1 DELETE /capabilities)
[ "$r" = 405 ] && ok "DELETE capabilities: 405" || fail "405: $r"
r=$(dc client1 GET /dots-client=nobody/aliases)
[ "$r" = 404 ] && ok "unregistered cuid: 404" || fail "unregistered: $r"
r=$(dc client2 GET /dots-client=cuid-one/aliases)
[ "$r" = 404 ] && ok "another client's registration is invisible: 404" ||
	fail "foreign GET: $r"

# --- aliases (§6) ---
AL='{"ietf-dots-data-channel:aliases":{"alias":[{"name":"www","target-prefix":["198.18.7.0/24"],"target-port-range":[{"lower-port":443}],"target-protocol":[6]}]}}'
r=$(dc client1 POST /dots-client=cuid-one "$AL")
[ "$r" = 201 ] && grep -qi "^location: .*aliases/alias=www" "$T/hdr" &&
	ok "POST alias: 201 with Location" || fail "POST alias: $r"
r=$(dc client1 POST /dots-client=cuid-one "$AL")
[ "$r" = 409 ] && ok "POST the same alias: 409" || fail "alias again: $r"
r=$(dc client1 GET /dots-client=cuid-one/aliases/alias=www)
[ "$r" = 200 ] &&
	[ "$(resp 'j["ietf-dots-data-channel:alias"][0]["pending-lifetime"]')" = 10080 ] &&
	ok "GET alias: 200 with pending-lifetime 10080 min" ||
	fail "GET alias: $r"
r=$(dc client1 PUT /dots-client=cuid-one/aliases/alias=www \
	'{"ietf-dots-data-channel:alias":[{"name":"www","target-prefix":["198.18.7.0/24"],"pending-lifetime":5}]}')
[ "$r" = 400 ] && ok "read-only pending-lifetime in a PUT: 400" ||
	fail "read-only node: $r"
r=$(dc client1 PUT /dots-client=cuid-one/aliases/alias=www \
	'{"ietf-dots-data-channel:alias":[{"name":"other","target-prefix":["198.18.7.0/24"]}]}')
[ "$r" = 400 ] && ok "PUT alias whose name is not the URI's: 400" ||
	fail "name mismatch: $r"
r=$(dc client1 PUT /dots-client=cuid-one/aliases/alias=far \
	'{"ietf-dots-data-channel:alias":[{"name":"far","target-prefix":["192.0.2.0/24"]}]}')
[ "$r" = 403 ] && [ "$(errtag)" = access-denied ] &&
	ok "alias outside the client's domain: 403" || fail "far alias: $r"
r=$(dc client1 PUT /dots-client=cuid-one/aliases/alias=tmp \
	'{"ietf-dots-data-channel:alias":[{"name":"tmp","target-fqdn":["tmp.example"]}]}')
r2=$(dc client1 DELETE /dots-client=cuid-one/aliases/alias=tmp)
r3=$(dc client1 DELETE /dots-client=cuid-one/aliases/alias=tmp)
[ "$r" = 201 ] && [ "$r2" = 204 ] && [ "$r3" = 404 ] &&
	ok "PUT 201, DELETE 204, DELETE again 404" ||
	fail "alias PUT/DELETE: $r $r2 $r3"

# --- ACLs (§7) ---
acl() { # NAME ACTIVATION ACE-JSON...
	n=$1 a=$2
	shift 2
	aces=$(IFS=,; echo "$*")
	echo "{\"ietf-dots-data-channel:acl\":[{\"name\":\"$n\",\"activation-type\":\"$a\",\"aces\":{\"ace\":[$aces]}}]}"
}
DROP='{"name":"e1","matches":{"ipv4":{"destination-ipv4-network":"198.18.1.1/32","source-ipv4-network":"203.0.113.0/24"},"udp":{"destination-port-range-or-operator":{"port":53}}},"actions":{"forwarding":"drop"}}'
RL='{"name":"e2","matches":{"ipv4":{"destination-ipv4-network":"198.18.1.0/24"},"tcp":{"flags-bitmask":{"bitmask":2}}},"actions":{"forwarding":"accept","rate-limit":"20000.00"}}'
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=dl "$(acl dl immediate "$DROP" "$RL")")
[ "$r" = 201 ] && ok "PUT immediate ACL: 201" || fail "PUT ACL: $r $(cat "$T/resp")"
"$DOTSCTL" -j -s "$T/dotsd.sock" show acls >"$T/acls.json"
n=$(python3 -c 'import json,sys; print(sum(1 for a in json.load(open(sys.argv[1]))["result"] if a["acl"] == "dl" and a["active"]))' "$T/acls.json")
[ "$n" = 2 ] && ok "immediate ACL: both entries in the engine" ||
	fail "immediate ACL active entries: $n"
r=$(dc client1 GET /dots-client=cuid-one/acls/acl=dl)
[ "$r" = 200 ] &&
	[ "$(resp 'j["ietf-dots-data-channel:acl"][0]["aces"]["ace"][0]["statistics"]["matched-packets"]')" = 0 ] &&
	[ "$(resp 'j["ietf-dots-data-channel:acl"][0]["type"]')" = ietf-access-control-list:ipv4-acl-type ] &&
	ok "GET ACL: statistics per entry, type filled in" || fail "GET ACL: $r"
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=dl "$(acl dl immediate "$DROP")")
n=$("$DOTSCTL" -j -s "$T/dotsd.sock" show acls | grep -o '"ace": *"e[12]"' | wc -l)
[ "$r" = 204 ] && [ "$n" = 1 ] && ok "PUT with one entry less: 204, one entry left" ||
	fail "replace ACL: $r, $n entries"
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=t \
	"$(acl t immediate '{"name":"x","matches":{"ipv4":{"destination-ipv4-network":"198.18.1.1/32","ttl":3}},"actions":{"forwarding":"drop"}}')")
[ "$r" = 400 ] && resp 'j["ietf-restconf:errors"]["error"][0]["error-message"]' | grep -q ttl &&
	ok "unsupported match (ttl): 400 naming it" || fail "ttl: $r"
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=t \
	"$(acl t immediate '{"name":"x","matches":{"ipv4":{"destination-ipv4-network":"192.0.2.1/32"}},"actions":{"forwarding":"drop"}}')")
[ "$r" = 403 ] && ok "ACL destination outside the domain: 403" ||
	fail "ACL outside: $r"
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=t \
	"$(acl t immediate '{"name":"x","matches":{"ipv4":{"source-ipv4-network":"192.0.2.0/24"}},"actions":{"forwarding":"drop"}}')")
[ "$r" = 400 ] && [ "$(errtag)" = missing-attribute ] &&
	ok "immediate ACL without destination: 400 missing-attribute" ||
	fail "immediate without dst: $r"
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=t \
	"$(acl t immediate '{"name":"x","matches":{"ipv4":{"destination-ipv4-network":"198.18.1.1/32"}},"actions":{"forwarding":"reject"}}')")
[ "$r" = 400 ] && ok "forwarding reject: 400" || fail "reject: $r"
r=$(dc client1 GET /dots-client=cuid-one/acls/acl=t)
[ "$r" = 404 ] && ok "refused ACLs are not stored" || fail "refused stored: $r"

# --- activate-when-mitigating (§7.2) with the signal channel ---
AWM='{"name":"a1","matches":{"ipv4":{"source-ipv4-network":"192.0.2.0/24"}},"actions":{"forwarding":"accept"}}'
r=$(dc client1 PUT /dots-client=cuid-one/acls/acl=awm "$(acl awm activate-when-mitigating "$AWM")")
active() {
	"$DOTSCTL" -j -s "$T/dotsd.sock" show acls | python3 -c 'import json,sys
print(sum(1 for a in json.load(sys.stdin)["result"] if a["acl"] == sys.argv[1] and a["active"]))' "$1"
}
[ "$r" = 201 ] && [ "$(active awm)" = 0 ] &&
	ok "activate-when-mitigating ACL: stored, not active" ||
	fail "AWM: $r, active $(active awm)"
json2cbor() {
	echo "$2" >"$T/$1.json"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
		"$(python3 "$DOTS_CBOR" encode "$T/$1.json")" >"$T/$1.cbor"
}
json2cbor m1 '{"ietf-dots-signal-channel:mitigation-scope": {"scope": [{"alias-name": ["www"], "lifetime": 600}]}}'
U=$(url dtls 127.0.0.1 mitigate/cuid=cuid-one)
r=$(coap client1 "$U/mid=1" -m put -t 271 -N -f "$T/m1.cbor")
[ "$r" = 2.01 ] && ok "mitigation by alias-name: 2.01" || fail "alias-name: $r"
"$DOTSCTL" -j -s "$T/dotsd.sock" show mitigations | grep -q '198.18.7.0/24' &&
	ok "the alias's prefix is the mitigation's target" ||
	fail "alias target not in the mitigation"
sleep 1.5
[ "$(active awm)" = 1 ] && ok "mitigation active: AWM ACL activated" ||
	fail "AWM not active during the mitigation"
r=$(coap client1 "$U/mid=1" -m delete -N)
i=0
while [ "$(active awm)" != 0 ] && [ $i -lt 30 ]; do sleep 0.2; i=$((i + 1)); done
[ "$r" = 2.02 ] && [ "$(active awm)" = 0 ] &&
	ok "mitigation withdrawn: AWM ACL deactivated" ||
	fail "AWM after withdraw: $r, active $(active awm)"
json2cbor m2 '{"ietf-dots-signal-channel:mitigation-scope": {"scope": [{"alias-name": ["nosuch"], "lifetime": 600}]}}'
r=$(coap client1 "$U/mid=2" -m put -t 271 -N -f "$T/m2.cbor")
[ "$r" = 4.00 ] && ok "unknown alias-name: 4.00" || fail "unknown alias: $r"

# --- RFC 9133 acl-list in a mitigation request ---
json2cbor m3 '{"ietf-dots-signal-channel:mitigation-scope": {"scope": [{"target-prefix": ["198.18.9.0/24"], "lifetime": 600, "ietf-dots-signal-control:acl-list": [{"acl-name": "nosuch", "activation-type": "immediate"}]}]}}'
r=$(coap client1 "$U/mid=3" -m put -t 271 -N -f "$T/m3.cbor")
[ "$r" = 4.04 ] && ok "acl-list naming an unknown ACL: 4.04" ||
	fail "unknown acl-name: $r"
json2cbor m4 '{"ietf-dots-signal-channel:mitigation-scope": {"scope": [{"target-prefix": ["198.18.9.0/24"], "lifetime": 600, "ietf-dots-signal-control:acl-list": [{"acl-name": "awm", "activation-type": "immediate"}]}]}}'
r=$(coap client1 "$U/mid=4" -m put -t 271 -N -f "$T/m4.cbor")
r2=$(coap client1 "$U/mid=4" -m delete -N)
r3=$(dc client1 GET /dots-client=cuid-one/acls/acl=awm)
[ "$r" = 2.01 ] && [ "$r2" = 2.02 ] && [ "$(active awm)" = 1 ] &&
	[ "$(resp 'j["ietf-dots-data-channel:acl"][0]["activation-type"]')" = immediate ] &&
	ok "acl-list sets activation-type immediate; it stays after the mitigation" ||
	fail "acl-list: PUT $r DELETE $r2 GET $r3 active $(active awm)"

# --- durable: kill -9 loses nothing acknowledged ---
kill -9 "$DOTSD_PID"
wait "$DOTSD_PID" 2>/dev/null
DOTSD_PID=
sig_start
r=$(dc client1 GET /dots-client=cuid-one/acls/acl=dl)
r2=$(dc client1 GET /dots-client=cuid-one/aliases/alias=www)
[ "$r" = 200 ] && [ "$r2" = 200 ] && [ "$(active dl)" = 1 ] &&
	ok "after kill -9: ACL, alias and enforcement restored" ||
	fail "after kill -9: acl $r alias $r2 active $(active dl)"
"$DOTSCTL" -s "$T/dotsd.sock" reconcile >/dev/null &&
	ok "after restart: backends consistent (filters not withdrawn)" ||
	fail "reconcile after restart"

r=$(dc client1 DELETE /dots-client=cuid-one/acls/acl=dl)
r2=$(dc client1 DELETE /dots-client=cuid-one/acls/acl=dl)
[ "$r" = 204 ] && [ "$r2" = 404 ] && [ "$(active dl)" = 0 ] &&
	ok "DELETE ACL: 204, withdrawn; again: 404" || fail "DELETE ACL: $r $r2"
r=$(dc client1 DELETE /dots-client=cuid-one)
r2=$(dc client1 GET /dots-client=cuid-one/aliases)
[ "$r" = 204 ] && [ "$r2" = 404 ] && ok "DELETE registration: 204, all gone" ||
	fail "DELETE registration: $r $r2"
sig_alive && ok "dotsd alive after every error path" || fail "dotsd died"
[ -z "$FAILED" ]
