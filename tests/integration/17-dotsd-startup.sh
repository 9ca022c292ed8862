#!/bin/sh
# 17-dotsd-startup: dotsd as a new user runs it, straight from the build
# tree. Without yang-dir it finds the source tree's YANG modules next to
# the binary (-n and a real start); with none anywhere, or yang-dir
# pointing at an empty directory, it says which setting and `make install`.
# Under `ip netns exec` (a mount namespace of its own) the XDP backend
# refuses a bpffs that would vanish on exit, as dotsd-xdp does. The
# deployment examples of dotsd.conf(5) pass dotsd -n; -nv and the man
# pages give the limits the code has.
NAME=dotsd-startup
. "$(dirname "$0")/lib-signal.sh"
[ -x "$DOTSD" ] || { skip "$DOTSD not built"; exit 77; }
T=$(mktemp -d /tmp/dotsd-start.XXXXXX)
NS=ds-$$-n
PIN=/sys/fs/bpf/ds-it-$$
cleanup() {
	sig_kill
	ip netns del "$NS" 2>/dev/null
	rm -rf "$PIN" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
"$SRC/tests/certs/mkcerts.sh" "$T/c" >/dev/null
PORT=$((20000 + ($$ % 20000)))
sig_conf </dev/null
sed -i '/^yang-dir /d' "$T/dotsd.conf"

# -n from another directory: the modules are found from the binary's path
if (cd / && "$DOTSD" -n -f "$T/dotsd.conf") 2>"$T/err" &&
    grep -q 'configuration OK' "$T/err"; then
	ok "-n without yang-dir from the build tree"
else
	fail "-n without yang-dir: $(cat "$T/err")"
fi
# and the daemon starts with them (it used to die: no libyang context)
sig_start
ok "starts without yang-dir from the build tree"
sig_kill

# yang-dir pointing at a directory without the modules
mkdir "$T/empty"
cp "$T/dotsd.conf" "$T/empty.conf"
echo "yang-dir \"$T/empty\"" >>"$T/empty.conf"
if "$DOTSD" -n -f "$T/empty.conf" 2>"$T/err"; then
	fail "-n with an empty yang-dir: exit 0"
elif grep -q "yang-dir $T/empty: no DOTS YANG modules" "$T/err" &&
    grep -q "make install" "$T/err"; then
	ok "-n with an empty yang-dir names it and make install"
else
	fail "-n with an empty yang-dir: $(cat "$T/err")"
fi

# no modules anywhere: a copy of the binary with no build tree around it,
# and (as root, in a mount namespace of its own) nothing installed
mkdir -p "$T/bin"
cp "$DOTSD" "$T/bin/dotsd"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	unshare -m sh -c '[ ! -d /usr/share/dotsd ] ||
	    mount -t tmpfs tmpfs /usr/share/dotsd; exec "$0" -n -f "$1"' \
		"$T/bin/dotsd" "$T/dotsd.conf" 2>"$T/err"
	rc=$?
elif [ ! -d /usr/share/dotsd/yang ]; then
	"$T/bin/dotsd" -n -f "$T/dotsd.conf" 2>"$T/err"
	rc=$?
else
	rc=skip
fi
case $rc in
skip)	skip "no modules anywhere: /usr/share/dotsd/yang installed, not root" ;;
0)	fail "no modules anywhere: exit 0" ;;
*)	if grep -q "no YANG modules: none installed in /usr/share/dotsd/yang" \
	    "$T/err" && grep -q "make install" "$T/err" &&
	    grep -q "yang-dir" "$T/err"; then
		ok "no modules anywhere: names make install and yang-dir"
	else
		fail "no modules anywhere: $(cat "$T/err")"
	fi ;;
esac

# the XDP backend under ip netns exec: refused, nothing pinned
if [ "$(id -u)" != 0 ]; then
	skip "ip netns exec: needs root"
elif ! ip netns add "$NS"; then
	fail "ip netns add $NS"
else
	cp "$T/dotsd.conf" "$T/xdp.conf"
	sed -i 's/local-backend null/local-backend xdp/' "$T/xdp.conf"
	printf 'xdp {\n\tinterface lo\n\tpin-path %s\n}\n' "$PIN" >>"$T/xdp.conf"
	if timeout 20 ip netns exec "$NS" "$DOTSD" -d -f "$T/xdp.conf" \
	    >"$T/xdp.log" 2>&1; then
		fail "ip netns exec: dotsd ran with a private bpffs"
	elif grep -q 'not a bpf file system here' "$T/xdp.log" &&
	    grep -q 'nsenter --net' "$T/xdp.log"; then
		ok "ip netns exec: dotsd refuses a bpffs that would vanish"
	else
		fail "ip netns exec: $(tail -3 "$T/xdp.log" | tr '\n' ' ')"
	fi
	[ -e "$PIN" ] && fail "ip netns exec: $PIN pinned on the host" ||
		ok "ip netns exec: nothing pinned"
fi
# the deployment examples of dotsd.conf(5): each vector is in the page
# verbatim and passes dotsd -n, backend blocks included
for v in "$SRC"/tests/vectors/conf/deploy-*.conf.in; do
	n=$(basename "$v" .conf.in)
	if ! "$DOTSD" -n -f "$v" 2>"$T/err"; then
		fail "$n: dotsd -n: $(cat "$T/err")"
	elif ! python3 -c 'import sys
page = open(sys.argv[1]).read()
sys.exit(open(sys.argv[2]).read() not in page)' \
	    "$SRC/doc/dotsd.conf.5" "$v"; then
		fail "$n: not in doc/dotsd.conf.5 as it is"
	else
		ok "$n: in dotsd.conf(5) and dotsd -n accepts it"
	fi
done
# ... and a mistake in a backend block is caught by -n, not at start
sed 's/rtbh-next-hop 192.0.2.1/rtbh-nexthop 192.0.2.1/' \
	"$SRC/tests/vectors/conf/deploy-rtbh.conf.in" >"$T/typo.conf"
if "$DOTSD" -n -f "$T/typo.conf" 2>"$T/err"; then
	fail "-n with a bad bgp option: exit 0"
elif grep -q "typo.conf:[0-9]*: bgp neighbor: .*rtbh-nexthop" "$T/err"; then
	ok "-n checks the backend blocks"
else
	fail "-n with a bad bgp option: $(cat "$T/err")"
fi

# dotsd -nv shows the compiled-in limits, and the man pages give the
# same values, all taken from the constants that define them
def() {
	sed -n "s/^#define[[:space:]]*$2[[:space:]]*\([0-9]*\).*/\1/p" \
		"$SRC/$1"
}
TGT=$(def mitigate/mitigate.h MIT_MAX_TARGETS)
PRT=$(def mitigate/mitigate.h MIT_MAX_PORTS)
PRO=$(def mitigate/mitigate.h MIT_MAX_PROTO)
GRP=$(def mitigate/mitigate.h MIT_MAX_GROUP_RULES)
NAM=$(def dotsd/mitreq_int.h MAX_NAMES)
CLS=$(def xdp/dotsd_shared.h XDP_CLASS_RULES)
BUSY=$(def dotsd/mitreq.h MITREQ_BUSY_RETRY)
CPORTS=$(def dots-client/client.h CLIENT_MAX_PORTS)
"$DOTSD" -nv -f "$SRC/tests/vectors/conf/deploy-xdp.conf.in" >"$T/nv" 2>&1
bad=
for want in \
    "# request (4.00 beyond): targets $TGT, port-ranges $PRT, protocols $PRO, target-names $NAM" \
    "# mitigation (5.03 beyond): rules-per-group $GRP (one mitigation at one level)" \
    "# xdp (5.03 beyond): rules-covering-a-prefix $CLS, rules-per-group $GRP" \
    "# engine and backend refusals are 5.03 with Max-Age $BUSY; malformed or unauthorized requests 4.00"; do
	grep -qxF "$want" "$T/nv" || { fail "-nv lacks \"$want\""; bad=1; }
done
[ -n "$bad" ] || ok "-nv prints the limits"
bad=
# the -nv output (limits as comments) is itself a valid configuration
"$DOTSD" -n -f "$T/nv" 2>/dev/null && ok "-nv output parses" ||
	fail "-nv output does not parse"
for want in ".It $TGT targets" ".It $PRT port ranges" ".It $PRO protocols" \
    ".It $NAM names" ".It $GRP rules per mitigation and level" \
    ".It $CLS rules covering one destination" \
    "Unavailable) and Max-Age $BUSY: the client may retry later, or ask for less."; do
	grep -qxF "$want" "$SRC/doc/dotsd.conf.5" ||
		{ fail "dotsd.conf(5) LIMITS lacks \"$want\""; bad=1; }
done
grep -qxF "A port or port range; at most $CPORTS in all." \
    "$SRC/doc/dots-client.1" || { bad=1
	fail "dots-client(1) does not say at most $CPORTS --port values"; }
[ -n "$bad" ] ||
	ok "dotsd.conf(5) and dots-client(1) give the limits of the code"
[ -z "$FAILED" ]
