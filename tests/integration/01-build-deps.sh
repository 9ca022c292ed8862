#!/bin/sh
# 01-build-deps: tools/deps.sh and the Makefile split the Debian packages
# into build, check, demo and bench groups. A plain `make` needs only the
# build group: as a normal user a missing test peer (gobgpd, ...) is named
# with the command that installs it and does not stop the build; a missing
# build package does. As root the asked-for groups are installed. dpkg-query
# and apt-get are replaced by fakes on PATH: nothing is installed here.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/deps-it.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
failures=0
ok()   { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

mkdir "$T/bin"
# dpkg-query -W -f=FMT PKG...: "ii  PKG" for each PKG not in $FAKE_MISSING
cat >"$T/bin/dpkg-query" <<'F'
#!/bin/sh
for a in "$@"; do
	case $a in -*) continue ;; esac
	case " $FAKE_MISSING " in *" $a "*) continue ;; esac
	echo "ii  $a"
done
F
cat >"$T/bin/apt-get" <<F
#!/bin/sh
echo "\$*" >>"$T/apt.log"
F
chmod 755 "$T/bin/dpkg-query" "$T/bin/apt-get"
FAKE=$T/bin:$PATH
DEPS=$SRC/tools/deps.sh

build=$("$DEPS" --list build | tr '\n' ' ')
check=$("$DEPS" --list check | tr '\n' ' ')
for p in gobgpd bird2 exabgp tcpdump libcoap3-bin; do
	case " $build " in
	*" $p "*) fail deps_build_group_lean "$p is a build package" ;;
	esac
done
case " $build " in
*" clang "*" libbpf-dev "*) ok deps_build_group_lean ;;
*) fail deps_build_group_lean "build group: $build" ;;
esac
for p in gobgpd bird2 exabgp libclang-rt-14-dev libcoap3-bin; do
	case " $check " in
	*" $p "*) ;;
	*) fail deps_check_group "$p missing from check: $check" ;;
	esac
done
ok deps_check_group
for g in demo bench; do
	[ -n "$("$DEPS" --list $g)" ] && ok deps_group_$g ||
		fail deps_group_$g "empty"
done

# as root: installs exactly what the asked-for groups miss
if [ "$(id -u)" = 0 ]; then
	rm -f "$T/apt.log"
	PATH=$FAKE FAKE_MISSING="gcc gobgpd xdp-tools" "$DEPS" build \
		2>"$T/err"
	if grep -q 'install .* gcc$' "$T/apt.log" 2>/dev/null; then
		ok deps_root_installs_build_only
	else
		fail deps_root_installs_build_only "apt-get: $(cat "$T/apt.log" 2>/dev/null)"
	fi
	rm -f "$T/apt.log"
	PATH=$FAKE FAKE_MISSING="gcc gobgpd xdp-tools" "$DEPS" build check \
		2>"$T/err"
	if grep -q 'install .* gcc gobgpd$' "$T/apt.log" 2>/dev/null; then
		ok deps_root_installs_check
	else
		fail deps_root_installs_check "apt-get: $(cat "$T/apt.log" 2>/dev/null)"
	fi
	rm -f "$T/apt.log"
	PATH=$FAKE FAKE_MISSING="" "$DEPS" build check demo bench 2>"$T/err"
	[ ! -e "$T/apt.log" ] && [ ! -s "$T/err" ] && ok deps_quiet_when_complete ||
		fail deps_quiet_when_complete "$(cat "$T/err" "$T/apt.log" 2>/dev/null)"
fi

# as a normal user
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
elif [ "$(id -u)" != 0 ]; then
	asuser() { "$@"; }
else
	echo "skip deps_user: no setpriv"
	[ $failures -eq 0 ]
	exit
fi
if asuser env PATH="$FAKE" FAKE_MISSING="gobgpd bird2" "$DEPS" build check \
    2>"$T/err"; then
	if grep -q 'make check: missing Debian packages: bird2 gobgpd' "$T/err" &&
	    grep -q 'apt-get install bird2 gobgpd' "$T/err"; then
		ok deps_user_test_package_named
	else
		fail deps_user_test_package_named "$(cat "$T/err")"
	fi
else
	fail deps_user_test_package_named "exit non-zero: $(cat "$T/err")"
fi
if asuser env PATH="$FAKE" FAKE_MISSING="libbpf-dev gobgpd" "$DEPS" build \
    2>"$T/err"; then
	fail deps_user_build_package_stops "exit 0"
elif grep -q 'cannot build: missing Debian packages: libbpf-dev' "$T/err" &&
    ! grep -q gobgpd "$T/err"; then
	ok deps_user_build_package_stops
else
	fail deps_user_build_package_stops "$(cat "$T/err")"
fi
# make itself: a test peer missing does not stop a plain build
if asuser env PATH="$FAKE" FAKE_MISSING="gobgpd bird2 exabgp" \
    make -s -n -C "$SRC" all >/dev/null 2>"$T/err"; then
	ok deps_make_without_test_peers
else
	fail deps_make_without_test_peers "$(tail -3 "$T/err")"
fi
if asuser env PATH="$FAKE" FAKE_MISSING="libcbor-dev" \
    make -s -n -C "$SRC" all >/dev/null 2>"$T/err"; then
	fail deps_make_stops_without_build_package "make -n exit 0"
elif grep -q 'libcbor-dev' "$T/err"; then
	ok deps_make_stops_without_build_package
else
	fail deps_make_stops_without_build_package "$(tail -3 "$T/err")"
fi
[ $failures -eq 0 ]
