# Shared helpers of the signal-channel integration tests (1x-signal-*.sh).
# Source after setting NAME. Provides: sig_setup (certs, config, ports),
# sig_start/sig_stop (dotsd by PID), coap (coap-client-openssl wrapper),
# hexbody (vector hex -> binary file), ok/fail/skip.

SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-.output}
DOTSD=${DOTSD:-$SRC/$OUT/bin/dotsd}
VEC=${VEC:-$SRC/../shared/reference/test-vectors/signal}
[ -d "$VEC" ] || VEC=/work/shared/reference/test-vectors/signal
DOTSD_PID=
T=

ok()   { echo "ok $NAME: $1"; }
fail() { echo "FAIL $NAME: $1"; FAILED=1; }
skip() { echo "skip $NAME: $1"; }

# sig_kill: SIGTERM, then SIGKILL if dotsd has not exited within 5 s.
sig_kill() {
	[ -n "$DOTSD_PID" ] || return 0
	kill "$DOTSD_PID" 2>/dev/null
	i=0
	while kill -0 "$DOTSD_PID" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$DOTSD_PID" 2>/dev/null
	wait "$DOTSD_PID" 2>/dev/null
	DOTSD_PID=
}

sig_cleanup() {
	sig_kill
	[ -n "$T" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
}

# Ports unique per test run: derived from the PID, UDP and TCP share one.
sig_setup() {
	command -v coap-client-openssl >/dev/null ||
		{ skip "coap-client-openssl missing (libcoap3-bin)"; exit 77; }
	[ -x "$DOTSD" ] || { skip "$DOTSD not built"; exit 77; }
	T=$(mktemp -d /tmp/dotsd-sig.XXXXXX)
	trap sig_cleanup EXIT
	"$SRC/tests/certs/mkcerts.sh" "$T/c" >/dev/null
	PORT=$((20000 + ($$ % 20000)))
}

# sig_conf [extra config lines on stdin]: writes $T/dotsd.conf
sig_conf() {
	cat >"$T/dotsd.conf" <<CONF
listen on 127.0.0.1 port $PORT
listen on ::1 port $PORT
certificate "${SERVER_CERT:-$T/c/server.pem}"
key "$T/c/server.key"
ca "$T/c/ca.pem"
database "$T/dotsd.db"
control "$T/dotsd.sock"
yang-dir "$SRC/yang/modules"
mitigation {
	local-backend null
	flowspec-backend null2
	rtbh-backend null2
}
client "one" {
	identity cn "client1"
	prefix 198.18.0.0/16 2001:db8:6401::/48
}
client "two" {
	identity cn "client2"
	prefix 198.18.0.0/15 2001:db8::/32
}
CONF
	cat >>"$T/dotsd.conf"
}

sig_start() {
	"$DOTSD" -d ${DOTSD_FLAGS:--v} -f "$T/dotsd.conf" >"$T/dotsd.log" 2>&1 &
	DOTSD_PID=$!
	i=0
	while [ $i -lt 50 ]; do
		grep -q " started$" "$T/dotsd.log" 2>/dev/null &&
			return 0
		kill -0 "$DOTSD_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	fail "dotsd did not start: $(tail -3 "$T/dotsd.log" | tr '\n' ' ')"
	exit 1
}

sig_alive() { kill -0 "$DOTSD_PID" 2>/dev/null; }

# hexbody VECTOR FILE: a test vector's CBOR as binary
hexbody() {
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
		"$VEC/$1.cbor.hex" >"$2"
}

# coap CERT URL [coap-client args...]: runs coap-client-openssl with the
# client credentials CERT (client1, client2, expired, ...), leaves the
# verbose log in $T/out.log and the body in $T/body; prints the response
# code ("2.01", "4.00", ...) or "none".
coap() {
	cert=$1 url=$2
	shift 2
	rm -f "$T/body"
	timeout 20 coap-client-openssl -v 7 -B 3 -c "$T/c/$cert.pem" \
		-j "$T/c/$cert.key" -C "$T/c/ca.pem" -o "$T/body" "$@" "$url" \
		>"$T/out.log" 2>&1
	code=$(sed -n 's/.*v:1 t:[A-Z]* c:\([0-9]\.[0-9][0-9]\) .*/\1/p' \
		"$T/out.log" | grep -v '^0\.' | tail -1)
	echo "${code:-none}"
}

# url PROTO HOST PATH: coaps://127.0.0.1:PORT/.well-known/dots/PATH
url() {
	case $1 in
	dtls) s=coaps ;;
	tls) s=coaps+tcp ;;
	esac
	case $2 in
	*:*) h="[$2]" ;;
	*) h=$2 ;;
	esac
	echo "$s://$h:$PORT/.well-known/dots/$3"
}

# cbor2json FILE: the wire JSON of a CBOR body (shared reference mapper).
DOTS_CBOR=$SRC/../shared/reference/tools/dots_cbor.py
[ -f "$DOTS_CBOR" ] || DOTS_CBOR=/work/shared/reference/tools/dots_cbor.py
cbor2json() {
	python3 "$DOTS_CBOR" decode "$(python3 -c 'import sys
print(open(sys.argv[1], "rb").read().hex())' "$1" 2>/dev/null)" 2>/dev/null
}

# jget FILE EXPR: a python expression over the decoded body j
jget() {
	cbor2json "$1" | python3 -c 'import json, sys
j = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$2" 2>/dev/null
}

# errbody: coap-client writes 4.xx/5.xx payloads only to its log; put the
# binary body of the last such response into $T/body.
errbody() {
	python3 - "$T/out.log" "$T/body" <<'PY'
import re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
body = b""
for i, l in enumerate(lines):
    if re.search(r" c:[45]\.\d\d ", l) and i + 1 < len(lines):
        m = re.match(r"<<([0-9a-fA-F]+)>>", lines[i + 1])
        body = bytes.fromhex(m.group(1)) if m else body
open(sys.argv[2], "wb").write(body)
PY
}
