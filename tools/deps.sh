#!/bin/sh
# tools/deps.sh [--quiet] [--list] [GROUP...]: installs the Debian packages
# of the named groups (default: build) that are missing. Quiet and quick
# when everything is there (one dpkg-query).
#
#   build  what `make` needs: compilers, headers, the BPF toolchain
#   check  what `make check` adds: the fuzzers' runtime, the integration
#          tests' peers and tools
#   demo   what `make demo` runs in its lab
#   bench  what `make bench` measures against
#
# The Makefile asks for build on every make, plus check, demo or bench
# when that target is on the command line; `make deps` asks for all.
# As root the missing packages are installed. As another user a missing
# build package is an error (nothing compiles without it); a missing
# package of another group is named with the command that installs it,
# and the tests that need it skip.
#
# It prints only when something is missing (--quiet is accepted for
# older callers). --list: print the packages of the groups and exit.
#
# Adding a package: put it in the group of the make target that uses it,
# with a comment saying what for; a package several groups use goes in
# each of them.
set -e

# `make`: every program, test binary and the XDP object
PKGS_build="make gcc pkg-config
clang llvm bpftool libbpf-dev linux-libc-dev
libcoap3-dev libssl-dev libyang2-dev libcbor-dev libjansson-dev
libsqlite3-dev libnl-3-dev libnl-route-3-dev libc-ares-dev libevent-dev
libcurl4-openssl-dev"

# `make check`, besides the build:
#   libclang-rt-14-dev      libFuzzer for the fuzz targets
#   libcoap3-bin, openssl   coap-client-openssl; test certificates
#   iproute2, iputils-ping  network namespaces, veth
#   python3                 CBOR vectors, JSON checks, the DNS test server
#   gobgpd, bird2, exabgp   BGP peers of the 3x-bgp and 5x-e2e tests
#   curl                    the independent RESTCONF client (data channel tests)
PKGS_check="libclang-rt-14-dev libcoap3-bin openssl iproute2 iputils-ping
python3 gobgpd bird2 exabgp curl"

# `make demo`: the namespace lab (tools/demo.sh, tests/integration/lib-lab.sh)
PKGS_demo="iproute2 iputils-ping openssl gobgpd"

# `make bench`: the lab and the BGP peers, plus xdp-filter to compare with
PKGS_bench="iproute2 openssl python3 gobgpd bird2 exabgp xdp-tools"

list=0 groups=""
for a in "$@"; do
	case $a in
	--quiet) ;;
	--list) list=1 ;;
	build|check|demo|bench) groups="$groups $a" ;;
	*) echo "usage: tools/deps.sh [--quiet] [--list]" \
	    "[build|check|demo|bench]..." >&2; exit 2 ;;
	esac
done
[ -n "$groups" ] || groups=build

# pkgs_of GROUP...: their packages, one per line, sorted, no duplicates
pkgs_of() {
	for g in "$@"; do
		eval "echo \$PKGS_$g"
	done | tr ' ' '\n' | sed '/^$/d' | sort -u
}

# missing_of GROUP...: those of their packages not installed
missing_of() {
	p=$(pkgs_of "$@")
	# dpkg-query says nothing at all about packages it has never heard of
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $p 2>/dev/null |
		awk '$1 == "ii" { print $2 }' | sort -u >"$tmp"
	echo "$p" | sort -u | comm -23 - "$tmp" | tr '\n' ' ' | sed 's/ $//'
}

if [ $list = 1 ]; then
	pkgs_of $groups
	exit 0
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
missing=$(missing_of $groups)
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	rc=0
	for g in $groups; do
		m=$(missing_of $g)
		[ -n "$m" ] || continue
		if [ $g = build ]; then
			echo "deps: cannot build: missing Debian packages: $m" \
			    "(as root: apt-get install $m, or make deps)" >&2
			rc=1
		else
			echo "deps: make $g: missing Debian packages: $m;" \
			    "the parts that need them are skipped" \
			    "(as root: apt-get install $m, or make deps)" >&2
		fi
	done
	exit $rc
fi
echo "deps: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends $missing >&2
