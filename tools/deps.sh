#!/bin/sh
# Installs the Debian packages dotsd builds, tests and demos with, if any is
# missing. Quiet and quick when everything is there (one dpkg-query).
# --quiet: print only when installing.
set -e
PKGS="make gcc clang llvm pkg-config bison
libcoap3-dev libcoap3-bin libssl-dev openssl
libyang2-dev libyang2-tools libcbor-dev libjansson-dev libsqlite3-dev sqlite3
libbpf-dev bpftool libxdp-dev xdp-tools linux-libc-dev
libnl-3-dev libnl-route-3-dev libc-ares-dev libevent-dev curl
iproute2 iputils-ping gobgpd bird2 exabgp tcpdump python3 libclang-rt-14-dev"

missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PKGS 2>/dev/null |
	awk '$1 != "ii" { print $2 }')
# dpkg-query says nothing at all about packages it has never heard of.
for p in $PKGS; do
	dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"
done
missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
[ -n "${missing% }" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: $missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends $missing >&2
