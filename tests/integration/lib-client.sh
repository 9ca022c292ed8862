# Shared helpers of the dots-client integration tests (4x-client-*.sh).
# Source after setting NAME. Provides: cl_setup (binary check, temp dir,
# certificates), dc (runs dots-client, sets RC, output in $T/out and
# $T/err), cuid_of (RFC 9132 cuid computed with the openssl CLI), ok, fail,
# skip, check. Everything runs on loopback; processes are killed by PID.

SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-.output}
CLIENT=${CLIENT:-$SRC/$OUT/bin/dots-client}
T=
PIDS=
FAILED=0

ok()   { echo "ok $NAME: $1"; }
fail() { echo "FAIL $NAME: $1"; FAILED=1; }
skip() { echo "skip $NAME: $1"; }

# check DESC COND...: ok/FAIL line for a shell condition; on failure the
# client's output follows the FAIL line.
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		fail "$desc (exit $RC)"
		sed 's/^/    out: /' "$T/out" 2>/dev/null | head -20
		sed 's/^/    err: /' "$T/err" 2>/dev/null | head -20
	fi
}

cl_cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	PIDS=
	[ -n "$T" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
}

# Throw-away credentials: tests/certs/mkcerts.sh when it is there, else
# the same file names made here (CA, server, client1, client2, and
# "foreign" from another CA). Private keys live in $T only.
# CL_OWN_CERTS=1 forces the local recipe (to test it).
cl_certs() {
	if [ -z "${CL_OWN_CERTS:-}" ] && [ -x "$SRC/tests/certs/mkcerts.sh" ]; then
		"$SRC/tests/certs/mkcerts.sh" "$T/c" >/dev/null && return 0
	fi
	mkdir -p "$T/c"
	(
		cd "$T/c" || exit 1
		k() { openssl genpkey -algorithm EC \
			-pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		for ca in ca foreign-ca; do
			k $ca.key
			openssl req -x509 -new -key $ca.key -out $ca.pem -days 2 \
				-subj "/CN=$ca" 2>/dev/null
		done
		for n in server:ca client1:ca client2:ca foreign:foreign-ca; do
			leaf=${n%%:*} ca=${n##*:}
			k $leaf.key
			openssl req -new -key $leaf.key -subj "/CN=$leaf" \
				-out $leaf.csr 2>/dev/null
			openssl x509 -req -in $leaf.csr -CA $ca.pem \
				-CAkey $ca.key -CAcreateserial -days 2 \
				-out $leaf.pem 2>/dev/null
		done
	)
}

cl_setup() {
	[ -x "$CLIENT" ] ||
		{ skip "dots-client not built"; exit 77; }
	command -v openssl >/dev/null ||
		{ skip "openssl command missing"; exit 77; }
	T=$(mktemp -d /tmp/dots-client-test.XXXXXX)
	trap cl_cleanup EXIT
	# the client's mid counter: per test, not the user's
	export XDG_STATE_HOME=$T/state
	cl_certs || { fail "cannot make test certificates"; exit 1; }
}

# dc ARGS...: runs the client (bounded), RC = its exit status.
dc() {
	timeout 60 "$CLIENT" "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
}

# cuid_of CERT: SHA-256 of the DER SPKI, 16 bytes, base64url, no '='.
cuid_of() {
	openssl x509 -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | head -c 16 |
		openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# Credentials as dots-client options.
pki() { echo "--cert $T/c/$1.pem --key $T/c/$1.key --ca $T/c/ca.pem"; }
