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

sig_cleanup() {
	[ -n "$DOTSD_PID" ] && kill "$DOTSD_PID" 2>/dev/null && \
		wait "$DOTSD_PID" 2>/dev/null
	DOTSD_PID=
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
certificate "$T/c/server.pem"
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
	"$DOTSD" -d -v -f "$T/dotsd.conf" >"$T/dotsd.log" 2>&1 &
	DOTSD_PID=$!
	i=0
	while [ $i -lt 50 ]; do
		grep -q "listening on tls ::1" "$T/dotsd.log" 2>/dev/null &&
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
