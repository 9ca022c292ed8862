#!/bin/sh
# 17-dotsd-startup: dotsd as a new user runs it, straight from the build
# tree. Without yang-dir it finds the source tree's YANG modules next to
# the binary (-n and a real start); with none anywhere, or yang-dir
# pointing at an empty directory, it says which setting and `make install`.
# Under `ip netns exec` (a mount namespace of its own) the XDP backend
# refuses a bpffs that would vanish on exit, as dotsd-xdp does.
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
[ -z "$FAILED" ]
