#!/bin/sh
# fastnetmon-notify.sh: FastNetMon notify script (text format) that asks a
# DOTS server for mitigation with dots-client(1).
#
#   $1 attacked IP   $2 direction   $3 pps   $4 ban | unban | attack_details
#
# ban: request mitigation of the host (a /32 or /128) for incoming
# attacks and remember the mid; unban: withdraw it. The server and the
# credentials come from dots-client's config file (/etc/dots-client.conf).
# FastNetMon writes attack details to stdin on ban and expects them read.
#
# Environment (optional):
#   DOTS_CLIENT    command to run        (default: dots-client)
#   DOTS_STATE     directory for mids    (default: /var/lib/dots-client)
#   DOTS_LIFETIME  lifetime in seconds   (default: 3600)
#
# FastNetMon community: notify_script_path = /usr/local/bin/fastnetmon-notify.sh
# FastNetMon Advanced:  fcli set main notify_script_format text

ip=$1 direction=$2 action=$4
client=${DOTS_CLIENT:-dots-client}
state=${DOTS_STATE:-/var/lib/dots-client}
lifetime=${DOTS_LIFETIME:-3600}

log() {
	logger -t fastnetmon-dots -- "$*" 2>/dev/null || echo "$*" >&2
}

case $action in
ban|attack_details)
	cat >/dev/null	# FastNetMon blocks until its details are read
	;;
esac

# One file per host; ':' in IPv6 addresses is fine in a file name.
case $ip in
*[!0-9a-fA-F.:]*|'')
	log "refusing odd address '$ip'"
	exit 1
	;;
esac
midfile=$state/$ip.mid

case $action in
ban)
	[ "$direction" = incoming ] || exit 0
	mkdir -p "$state" || exit 1
	# Refresh the same mid if this host is already under mitigation
	# (RFC 9132: same mid and scope = refresh, 2.04).
	mid=
	[ -f "$midfile" ] && mid=$(cat "$midfile")
	out=$($client --json request --target "$ip" --lifetime "$lifetime" \
	    ${mid:+--mid "$mid"})
	rc=$?
	if [ $rc -ne 0 ]; then
		log "request for $ip failed (exit $rc): $out"
		exit $rc
	fi
	mid=$(printf '%s\n' "$out" | sed -n 's/.*"mid":\([0-9]*\).*/\1/p' |
	    head -1)
	[ -n "$mid" ] && echo "$mid" >"$midfile"
	log "mitigation requested for $ip, mid $mid"
	;;
unban)
	[ -f "$midfile" ] || exit 0
	mid=$(cat "$midfile")
	if $client withdraw --mid "$mid" >/dev/null; then
		rm -f "$midfile"
		log "mitigation for $ip withdrawn, mid $mid"
	else
		rc=$?
		log "withdraw for $ip (mid $mid) failed (exit $rc)"
		exit $rc
	fi
	;;
esac
exit 0
