# lib-fleet.sh: the fleet lab of tests/integration/34-bgp-fleet.sh and
# `make demo-fleet` (tools/demo-fleet.sh): one DOTS server announces
# flowspec to a BIRD 2 route reflector, which reflects it to two edge
# routers; each edge runs dotsd with the signal channel off and enforces
# the received rules in XDP on its own uplink. A gobgpd in "ctl" stands
# for a third-party flowspec controller. All iBGP, AS 64511.
#
#                 srv (dotsd: DOTS server, 198.18.100.2)
#                  |
#   ctl (gobgpd) -- rr (BIRD, 198.18.100.1, route reflector)
#   198.18.100.14  |                     |
#                 e1 (198.18.100.6)     e2 (198.18.100.10)
#   a1 -- uplink [XDP] -- cust -- c1    a2 -- uplink [XDP] -- cust -- c2
#   198.18.21.2      198.18.10.1  198.18.10.10 (the same victim behind both)
#
# Source it after lib-lab.sh (for lab_wait, check, ok/fail), set LAB.

FLEET_NS="rr srv ctl e1 e2 a1 a2 c1 c2"
FLEET_VICTIM=198.18.10.10
FLEET_PIDS=
FLEET_BIRD=
FLEET_GOBGP=

fleet_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip $1: needs root"
		exit 77
	fi
	for b in "$LAB_DOTSD" "$LAB_CLIENT" "$LAB_CTL" "$LAB_XDPCTL" \
	    "$LAB_TRAFFIC"; do
		[ -x "$b" ] || { echo "skip $1: $b not built"; exit 77; }
	done
	for t in bird birdc gobgpd gobgp openssl nsenter jq; do
		command -v $t >/dev/null 2>&1 ||
		    { echo "skip $1: $t not installed"; exit 77; }
	done
}

fleet_up() {
	for n in $FLEET_NS; do
		ip netns add "$(lab_ns $n)" || return 1
		ip -n "$(lab_ns $n)" link set lo up
	done
	lab_link rr srv srv rr
	lab_link rr e1 e1 rr
	lab_link rr e2 e2 rr
	lab_link rr ctl ctl rr
	lab_addr rr srv 198.18.100.1/30
	lab_addr srv rr 198.18.100.2/30
	lab_addr rr e1 198.18.100.5/30
	lab_addr e1 rr 198.18.100.6/30
	lab_addr rr e2 198.18.100.9/30
	lab_addr e2 rr 198.18.100.10/30
	lab_addr rr ctl 198.18.100.13/30
	lab_addr ctl rr 198.18.100.14/30
	for i in 1 2; do
		lab_link a$i eth0 e$i uplink
		lab_link e$i cust c$i eth0
		lab_addr a$i eth0 198.18.2$i.2/24
		lab_addr e$i uplink 198.18.2$i.1/24
		lab_addr e$i cust 198.18.10.1/24
		lab_addr c$i eth0 $FLEET_VICTIM/24
		ip -n "$(lab_ns a$i)" route add default via 198.18.2$i.1
		ip -n "$(lab_ns c$i)" route add default via 198.18.10.1
		lab_exec e$i sysctl -qw net.ipv4.ip_forward=1
	done
	# the speakers reach the reflector over their /30s; BIRD listens there
	lab_wait 10 lab_exec a1 ping -c1 -W1 $FLEET_VICTIM &&
	    lab_wait 10 lab_exec a2 ping -c1 -W1 $FLEET_VICTIM
}

fleet_down() {
	for n in $FLEET_NS; do
		ip netns del "$(lab_ns $n)" 2>/dev/null
	done
	return 0
}

# --- dotsd: one instance per box, by its name (srv, e1, e2) -------------

fleet_pid() { eval echo "\${FLEET_PID_$1:-}"; }

fleet_dotsd_start() {	# fleet_dotsd_start NAME
	: >>"$T/$1.log"
	nsenter --net=/run/netns/"$(lab_ns "$1")" "$LAB_DOTSD" -d -f \
	    "$T/$1.conf" >>"$T/$1.log" 2>&1 &
	eval "FLEET_PID_$1=$!"
	lab_wait 10 grep -q ' started$' "$T/$1.log"
}

fleet_dotsd_stop() {	# fleet_dotsd_stop NAME: SIGTERM, wait; status in RC
	fp=$(fleet_pid "$1")
	[ -n "$fp" ] || return 0
	kill "$fp" 2>/dev/null
	i=0
	while kill -0 "$fp" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$fp" 2>/dev/null
	wait "$fp" 2>/dev/null
	RC=$?
	eval "FLEET_PID_$1="
}

fleet_cleanup() {
	for b in srv e1 e2; do fleet_dotsd_stop $b; done
	for p in $FLEET_PIDS; do kill "$p" 2>/dev/null; done
	for p in $FLEET_PIDS; do wait "$p" 2>/dev/null; done
	for b in e1 e2; do
		[ -d "/sys/fs/bpf/$LAB$b" ] &&
		    "$LAB_XDPCTL" -p "/sys/fs/bpf/$LAB$b" flush >/dev/null 2>&1
	done
	fleet_down
	[ -n "$T" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
	return 0
}

fleet_init() {
	T=$(mktemp -d /tmp/"$LAB".XXXXXX)
	trap fleet_cleanup EXIT
	trap 'exit 1' INT TERM
	"$LAB_SRC/tests/certs/mkcerts.sh" "$T/c" >/dev/null
}

# The DOTS server: DOTS on 127.0.0.1, flowspec to the reflector only.
fleet_conf_srv() {
	cat >"$T/srv.conf" <<EOT
listen on 127.0.0.1
certificate "$T/c/server.pem"
key "$T/c/server.key"
ca "$T/c/ca.pem"
database "$T/srv.db"
control "$T/srv.sock"
yang-dir "$LAB_SRC/yang/modules"
active-but-terminating 0
client "customer" {
	identity cn "client1"
	prefix 198.18.10.0/24
	mitigate-with flowspec
	indefinite-lifetime yes
}
bgp {
	router-id 198.18.100.2
	local-as 64511
	neighbor 198.18.100.1 remote-as 64511 families flowspec4,flowspec6
	connect-retry 1
	damping off
}
mitigation {
	local-backend null
}
EOT
}

# An edge: no signal channel; receives from the reflector, XDP on uplink.
fleet_conf_edge() {	# fleet_conf_edge NAME ADDR RR-ADDR METRICS-PORT
	cat >"$T/$1.conf" <<EOT
signal off
database "$T/$1.db"
control "$T/$1.sock"
yang-dir "$LAB_SRC/yang/modules"
metrics listen 127.0.0.1 port $4
xdp {
	interface uplink
	pin-path /sys/fs/bpf/$LAB$1
	max-rules 1000
}
bgp {
	router-id $2
	local-as 64511
	neighbor $3 remote-as 64511 families flowspec4,flowspec6 import 198.18.10.0/24 import-max 100 graceful-restart 5
	connect-retry 1
}
EOT
}

# --- the reflector and the controller ------------------------------------

fleet_bird_start() {
	{
		echo "log \"$T/bird.log\" all;"
		echo "router id 198.18.100.1;"
		echo "protocol device {}"
		echo "flow4 table ft4;"
		for p in "srv 198.18.100.1 198.18.100.2" \
		    "e1 198.18.100.5 198.18.100.6" \
		    "e2 198.18.100.9 198.18.100.10" \
		    "ctl 198.18.100.13 198.18.100.14"; do
			set -- $p
			cat <<EOT
protocol bgp $1 {
	local $2 as 64511;
	neighbor $3 as 64511;
	rr client;
	passive on;
	graceful restart on;
	flow4 { table ft4; import all; export all; };
}
EOT
		done
	} >"$T/bird.conf"
	ip netns exec "$(lab_ns rr)" bird -f -c "$T/bird.conf" -s "$T/bird.ctl" \
	    -P "$T/bird.pid" >>"$T/bird.out" 2>&1 &
	FLEET_BIRD=$!
	FLEET_PIDS="$FLEET_PIDS $FLEET_BIRD"
	lab_wait 10 fleet_birdc show status
}

fleet_birdc() {
	ip netns exec "$(lab_ns rr)" birdc -s "$T/bird.ctl" "$@"
}

fleet_bird_up() {	# fleet_bird_up PROTO
	fleet_birdc show protocols "$1" | grep -q Established
}

fleet_gobgp_start() {
	cat >"$T/gobgpd.toml" <<EOT
[global.config]
  as = 64511
  router-id = "198.18.100.14"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "198.18.100.13"
    peer-as = 64511
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-flowspec"
EOT
	ip netns exec "$(lab_ns ctl)" gobgpd -f "$T/gobgpd.toml" -l warn \
	    --api-hosts 127.0.0.1:50051 >>"$T/gobgpd.log" 2>&1 &
	FLEET_GOBGP=$!
	FLEET_PIDS="$FLEET_PIDS $FLEET_GOBGP"
	lab_wait 10 fleet_gobgp global
}

fleet_gobgp() {
	lab_exec ctl gobgp "$@"
}

# --- what an edge enforces ------------------------------------------------

fleet_ctl() {	# fleet_ctl NAME ARGS...
	fc_b=$1
	shift
	"$LAB_CTL" -s "$T/$fc_b.sock" "$@"
}

# fleet_rules NAME: received rules the edge enforces.
fleet_rules() {
	fleet_ctl "$1" -j show received 2>/dev/null |
	    jq -r '.result.rules | length' 2>/dev/null
}

fleet_rules_are() { [ "$(fleet_rules "$1")" = "$2" ]; }

# fleet_dropped NAME MATCH-ERE: packets dropped by the received rule whose
# match matches MATCH-ERE.
fleet_dropped() {
	fleet_ctl "$1" -j show received 2>/dev/null | jq -r --arg m "$2" \
	    '[.result.rules[] | select(.match | test($m)) | .["pkts-dropped"]] |
	    add // empty' 2>/dev/null
}

fleet_xdp_rules() {
	"$LAB_XDPCTL" -p "/sys/fs/bpf/$LAB$1" status 2>/dev/null |
	    sed -n 's/^rules \([0-9]*\) of.*/\1/p'
}

# fleet_attack I PORT COUNT: COUNT datagrams from a$I to the victim
# behind e$I; prints "sent received".
fleet_attack() {
	ip netns exec "$(lab_ns c$1)" "$LAB_TRAFFIC" recv "$2" -t 4 \
	    >"$T/recv$1.out" &
	fa_r=$!
	lab_wait 5 grep -q ready "$T/recv$1.out"
	fa_s=$(lab_exec a$1 "$LAB_TRAFFIC" send $FLEET_VICTIM "$2" -n "$3" \
	    -r 2000 | sed -n 's/^sent //p')
	wait $fa_r
	echo "${fa_s:-0} $(sed -n "s/^port $2 //p" "$T/recv$1.out")"
}
