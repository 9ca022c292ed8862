#!/bin/sh
# 23-xdp-ctl.sh: dotsd-xdp as an operator meets it. load-rules -x keeps
# the file's groups and withdraws the others; every failure exits non-zero
# and says why on stderr; run under `ip netns exec` (a mount namespace of
# its own, /sys remounted) it refuses instead of pinning on a private
# bpffs that would vanish with it.
. tests/integration/lib-xdp.sh
xdp_require xdp_ctl
xdp_setup || { fail xdp_setup "cannot build the namespaces"; exit 1; }

# expect_fail NAME ERE ARGS...: dotsd-xdp ARGS exits non-zero and its
# stderr matches ERE.
expect_fail() {
	name=$1 ere=$2
	shift 2
	if xctl "$@" >"$T/out" 2>"$T/err"; then
		fail "$name" "exit 0: $(cat "$T/out")"
	elif grep -Eq "$ere" "$T/err"; then
		ok "$name"
	else
		fail "$name" "stderr \"$(cat "$T/err")\" does not match /$ere/"
	fi
}

# groups with live rules (a withdrawn group keeps its counters, rules 0)
groups() {
	xctl stats 2>/dev/null |
		sed -n 's/^group \([0-9]*\) rules [1-9].*/\1/p' |
		sort -n | tr '\n' ' '
}

# nothing pinned yet: the read-only commands say so
expect_fail xdp_ctl_status_nothing "nothing pinned under $PIN" status
expect_fail xdp_ctl_stats_nothing "nothing pinned under $PIN" stats

cat >"$T/three" <<R
group 1
id 1 dst 198.18.0.2/32 proto udp dport 7000 action drop
group 2
id 1 dst 198.18.0.3/32 action drop
group 3
id 1 dst 2001:db8::3/128 action rate-pps 1000
R
cat >"$T/one" <<R
group 2
id 1 dst 198.18.0.3/32 action drop
R
if xctl load-rules "$T/three" 2>"$T/err" && [ "$(groups)" = "1 2 3 " ]; then
	ok xdp_ctl_load
else
	fail xdp_ctl_load "groups \"$(groups)\": $(cat "$T/err")"
fi
# -x: the same file format; groups not in the file are withdrawn
if xctl load-rules -x "$T/one" 2>"$T/err"; then
	if [ "$(groups)" = "2 " ]; then
		ok xdp_ctl_load_exclusive
	else
		fail xdp_ctl_load_exclusive "groups left: $(groups)"
	fi
else
	fail xdp_ctl_load_exclusive "exit $?: \"$(cat "$T/err")\""
fi
if xctl load-rules -x - <"$T/three" 2>"$T/err" &&
    [ "$(groups)" = "1 2 3 " ]; then
	ok xdp_ctl_load_exclusive_stdin
else
	fail xdp_ctl_load_exclusive_stdin "groups \"$(groups)\": $(cat "$T/err")"
fi

# every failure path prints its reason
expect_fail xdp_ctl_no_file "$T/missing: No such file" load-rules "$T/missing"
expect_fail xdp_ctl_no_file_x "$T/missing: No such file" \
	load-rules -x "$T/missing"
printf 'group x1\n' >"$T/bad"
expect_fail xdp_ctl_bad_group_line 'line 1: bad group id "x1"' \
	load-rules "$T/bad"
printf 'id 1 dst 198.18.0.2/32 action drop\n' >"$T/bad"
expect_fail xdp_ctl_rule_outside 'line 1: rule outside a group' \
	load-rules "$T/bad"
printf 'group 4\nid 1 dst 198.18.0.2/32 action explode\n' >"$T/bad"
expect_fail xdp_ctl_bad_rule 'line 2: ' load-rules -x "$T/bad"
[ "$(groups)" = "1 2 3 " ] && ok xdp_ctl_bad_file_changes_nothing ||
	fail xdp_ctl_bad_file_changes_nothing "groups: $(groups)"
expect_fail xdp_ctl_withdraw_bad_id 'bad group id "abc"' withdraw abc
expect_fail xdp_ctl_stats_bad_id 'bad group id "abc"' stats abc
expect_fail xdp_ctl_stats_unknown 'no group 99' stats 99
expect_fail xdp_ctl_bad_option 'max-rules' -n 0 status
expect_fail xdp_ctl_usage '^usage: dotsd-xdp' load-rules
# the lock: a second writer is told who holds the pins
xrun run || fail xdp_ctl_run "dotsd-xdp run did not start"
expect_fail xdp_ctl_locked 'in use by another dotsd or dotsd-xdp' \
	load-rules "$T/one"
xstop

# ip netns exec: /sys is remounted in a mount namespace of its own, so
# /sys/fs/bpf there is no bpffs and one mounted there would vanish
if ip netns exec "$NSB" "$XDPCTL" -p "$PIN-ns" -i xb0 load-rules "$T/one" \
    >"$T/out" 2>"$T/err"; then
	fail xdp_ctl_netns_exec_refused "exit 0"
elif grep -q 'not a bpf file system here' "$T/err" &&
    grep -q 'nsenter --net' "$T/err"; then
	ok xdp_ctl_netns_exec_refused
else
	fail xdp_ctl_netns_exec_refused "stderr: $(cat "$T/err")"
fi
if ip netns exec "$NSB" "$XDPCTL" -p "$PIN" status >/dev/null 2>"$T/err"; then
	fail xdp_ctl_netns_exec_status "exit 0"
elif grep -q 'not on a bpf file system here' "$T/err"; then
	ok xdp_ctl_netns_exec_status
else
	fail xdp_ctl_netns_exec_status "stderr: $(cat "$T/err")"
fi
[ -e "$PIN-ns" ] && fail xdp_ctl_netns_exec_nothing_pinned "$PIN-ns exists" ||
	ok xdp_ctl_netns_exec_nothing_pinned
# a bpffs mounted inside that namespace is not the host's either; only
# visible when we may look at PID 1's mounts (/proc/1/root)
if [ -d /proc/1/root/sys/fs/bpf ]; then
	if ip netns exec "$NSB" sh -c 'mount -t bpf bpf /sys/fs/bpf &&
	    exec "$0" -p "$1" load-rules "$2"' "$XDPCTL" "$PIN-ns" "$T/one" \
	    >"$T/out" 2>"$T/err"; then
		fail xdp_ctl_private_bpffs_refused "exit 0"
	elif grep -q 'private to this mount namespace' "$T/err"; then
		ok xdp_ctl_private_bpffs_refused
	else
		fail xdp_ctl_private_bpffs_refused "stderr: $(cat "$T/err")"
	fi
else
	skip xdp_ctl_private_bpffs_refused "PID 1's mounts are not ours to see"
fi
# nsenter --net keeps the host's bpffs: that works from inside the netns
if xctl -i xb0 load-rules "$T/one" 2>"$T/err"; then
	ok xdp_ctl_nsenter_net
else
	fail xdp_ctl_nsenter_net "$(cat "$T/err")"
fi

[ $failures -eq 0 ]
