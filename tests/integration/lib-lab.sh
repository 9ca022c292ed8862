# lib-lab.sh: the namespace lab shared by `make demo` (tools/demo.sh) and
# the end-to-end tests (tests/integration/5x-e2e-*.sh). Source it, set
# LAB (a short unique prefix, e.g. "dl$$") and call lab_up; lab_down
# removes everything lab_up made. Nothing is added to the root namespace.
#
#   attacker (198.18.2.2) --+
#                           +-- transit (gobgpd, AS 64500) -- edge (dotsd, AS 64510) -- customer
#   legit    (198.18.3.2) --+       198.18.0.1/30      198.18.0.2/30   XDP on "uplink"   198.18.10.10/24
#                                   2001:db8:0::1/64   2001:db8:0::2/64              2001:db8:10::10/64
#
# The customer network is 198.18.10.0/24 and 2001:db8:10::/64; the DOTS
# client runs in the customer namespace and talks to dotsd at 198.18.10.1.

lab_ns() { echo "${LAB}-$1"; }

lab_link() {	# lab_link NS_A IF_A NS_B IF_B
	ip link add "$2" netns "$(lab_ns "$1")" type veth peer name "$4" \
	    netns "$(lab_ns "$3")"
	ip -n "$(lab_ns "$1")" link set "$2" up
	ip -n "$(lab_ns "$3")" link set "$4" up
}

lab_addr() {	# lab_addr NS IF ADDR...
	ns=$(lab_ns "$1"); dev=$2; shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" ;;
		esac
	done
}

lab_up() {
	for n in attacker legit transit edge customer; do
		ip netns add "$(lab_ns $n)"
		ip -n "$(lab_ns $n)" link set lo up
	done
	lab_link attacker eth0 transit atk
	lab_link legit eth0 transit leg
	lab_link transit edge edge uplink
	lab_link edge cust customer eth0

	lab_addr attacker eth0 198.18.2.2/24 2001:db8:2::2/64
	lab_addr legit eth0 198.18.3.2/24 2001:db8:3::2/64
	lab_addr transit atk 198.18.2.1/24 2001:db8:2::1/64
	lab_addr transit leg 198.18.3.1/24 2001:db8:3::1/64
	lab_addr transit edge 198.18.0.1/30 2001:db8::1/64
	lab_addr edge uplink 198.18.0.2/30 2001:db8::2/64
	lab_addr edge cust 198.18.10.1/24 2001:db8:10::1/64
	lab_addr customer eth0 198.18.10.10/24 2001:db8:10::10/64

	for n in attacker legit; do
		ip -n "$(lab_ns $n)" route add default via \
		    "$( [ $n = attacker ] && echo 198.18.2.1 || echo 198.18.3.1)"
		ip -n "$(lab_ns $n)" -6 route add default via \
		    "$( [ $n = attacker ] && echo 2001:db8:2::1 || echo 2001:db8:3::1)"
	done
	ip -n "$(lab_ns transit)" route add 198.18.10.0/24 via 198.18.0.2
	ip -n "$(lab_ns transit)" -6 route add 2001:db8:10::/64 via 2001:db8::2
	ip -n "$(lab_ns edge)" route add default via 198.18.0.1
	ip -n "$(lab_ns edge)" -6 route add default via 2001:db8::1
	ip -n "$(lab_ns customer)" route add default via 198.18.10.1
	ip -n "$(lab_ns customer)" -6 route add default via 2001:db8:10::1
	for n in transit edge; do
		ip netns exec "$(lab_ns $n)" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$(lab_ns $n)" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	# IPv6 link-local addresses need DAD before neighbours resolve.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		lab_exec legit ping -6 -c1 -W1 2001:db8:10::10 >/dev/null 2>&1 &&
		    lab_exec legit ping -c1 -W1 198.18.10.10 >/dev/null 2>&1 &&
		    return 0
		sleep 0.5
	done
	echo "lab: the namespaces do not route" >&2
	return 1
}

lab_down() {
	for n in attacker legit transit edge customer; do
		ip netns del "$(lab_ns $n)" 2>/dev/null
	done
	return 0
}

lab_exec() {	# lab_exec NS CMD...
	ns=$(lab_ns "$1"); shift
	ip netns exec "$ns" "$@"
}
