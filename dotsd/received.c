/*
 * received.c: what dotsctl and Prometheus show of the received rules
 * (flowspec from BGP peers, enforced locally by the engine): each rule in
 * force with its match, action and counters, and the rules left out per
 * reason. The rules themselves live in the engine (mitigate/recv.c).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "dotsd/control.h"
#include "mitigate/mitigate.h"

/* Appends printf output to buf (of len) at *off, never overflowing. */
static void
app(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
app(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
	if (*off >= len)
		*off = len - 1;
}

static void
app_prefix(char *buf, size_t len, size_t *off, const char *kw,
    const struct mit_prefix *p)
{
	char	a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == AF_INET ? AF_INET : AF_INET6, p->addr, a,
	    sizeof(a));
	app(buf, len, off, "%s%s%s/%u", *off ? " " : "", kw, a, p->len);
}

static void
app_ranges(char *buf, size_t len, size_t *off, const char *kw,
    const struct mit_range *r, int n)
{
	int	i;

	app(buf, len, off, " %s ", kw);
	for (i = 0; i < n && i < MIT_MAX_RANGES; i++) {
		if (r[i].lo == r[i].hi)
			app(buf, len, off, "%s%u", i ? "," : "", r[i].lo);
		else
			app(buf, len, off, "%s%u-%u", i ? "," : "", r[i].lo,
			    r[i].hi);
	}
}

/* The match of r in the words of dotsd-xdp(8) rule files. */
static void
rule_text(const struct mit_rule *r, char *buf, size_t len)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	app_prefix(buf, len, &off, "", &r->dst);
	if (r->present & MIT_F_SRC)
		app_prefix(buf, len, &off, "from ", &r->src);
	if (r->present & MIT_F_PROTO) {
		app(buf, len, &off, " proto ");
		for (i = 0; i < r->nproto; i++)
			app(buf, len, &off, "%s%u", i ? "," : "", r->proto[i]);
	}
	if (r->present & MIT_F_PORT)
		app_ranges(buf, len, &off, "port", r->port, r->nport);
	if (r->present & MIT_F_DPORT)
		app_ranges(buf, len, &off, "dport", r->dport, r->ndport);
	if (r->present & MIT_F_SPORT)
		app_ranges(buf, len, &off, "sport", r->sport, r->nsport);
	if (r->present & MIT_F_ICMP_TYPE)
		app_ranges(buf, len, &off, "icmp-type", r->icmp_type,
		    r->nicmp_type);
	if (r->present & MIT_F_ICMP_CODE)
		app_ranges(buf, len, &off, "icmp-code", r->icmp_code,
		    r->nicmp_code);
	if (r->present & MIT_F_TCP_FLAGS)
		app(buf, len, &off, " tcp-flags %#x/%#x", r->tcp_flags_value,
		    r->tcp_flags_mask);
	if (r->present & MIT_F_PKT_LEN)
		app_ranges(buf, len, &off, "length", r->pkt_len, r->npkt_len);
	if (r->present & MIT_F_DSCP)
		app(buf, len, &off, " dscp-set %#" PRIx64, r->dscp_set);
	if (r->present & MIT_F_FRAG)
		app(buf, len, &off, " frag %#x/%#x", r->frag_value,
		    r->frag_mask);
	if (r->present & MIT_F_FLOW_LABEL)
		app(buf, len, &off, " flow-label %u", r->flow_label);
}

static void
action_text(const struct mit_rule *r, char *buf, size_t len)
{
	switch (r->action) {
	case MIT_ACT_DROP:
		snprintf(buf, len, "drop");
		break;
	case MIT_ACT_RATE_BPS:
		snprintf(buf, len, "rate %" PRIu64 " B/s", r->rate);
		break;
	case MIT_ACT_RATE_PPS:
		snprintf(buf, len, "rate %" PRIu64 " pkt/s", r->rate);
		break;
	default:
		snprintf(buf, len, "accept");
		break;
	}
}

static void
row_add(const struct mit_recv_info *ri, void *arg)
{
	json_t	*rows = arg;
	char	 match[512], act[64];

	rule_text(&ri->rule, match, sizeof(match));
	action_text(&ri->rule, act, sizeof(act));
	json_array_append_new(rows, json_pack("{s:I, s:s, s:i, s:s, s:s, "
	    "s:I, s:I, s:I, s:I}",
	    "key", (json_int_t)ri->key,
	    "from", ri->from,
	    "peers", ri->npeers,
	    "match", match,
	    "action", act,
	    "pkts-dropped", (json_int_t)ri->st.pkts_dropped,
	    "bytes-dropped", (json_int_t)ri->st.bytes_dropped,
	    "pkts-passed", (json_int_t)ri->st.pkts_passed,
	    "bytes-passed", (json_int_t)ri->st.bytes_passed));
}

json_t *
received_json(void)
{
	json_t	*rows = json_array();

	if (rows != NULL)
		engine_recv_list(row_add, rows);
	return rows;
}

json_t *
received_ignored_json(void)
{
	uint64_t	 counts[MIT_RX_REASON_MAX];
	json_t		*o = json_object();
	int		 i;

	engine_recv_ignored(counts);
	for (i = 0; o != NULL && i < MIT_RX_REASON_MAX; i++)
		json_object_set_new(o, engine_recv_reason_name(i),
		    json_integer((json_int_t)counts[i]));
	return o;
}

static void
metric_row(const struct mit_recv_info *ri, void *arg)
{
	FILE	*f = arg;
	char	 match[512];
	size_t	 i;

	rule_text(&ri->rule, match, sizeof(match));
	/* label values: no quotes or backslashes occur in rule_text() */
	for (i = 0; match[i]; i++)
		if (match[i] == '"' || match[i] == '\\')
			match[i] = '_';
	fprintf(f, "dotsd_received_rule_dropped_packets_total{key=\"%"
	    PRIu64 "\",match=\"%s\"} %" PRIu64 "\n", ri->key, match,
	    ri->st.pkts_dropped);
	fprintf(f, "dotsd_received_rule_dropped_bytes_total{key=\"%"
	    PRIu64 "\",match=\"%s\"} %" PRIu64 "\n", ri->key, match,
	    ri->st.bytes_dropped);
	fprintf(f, "dotsd_received_rule_passed_packets_total{key=\"%"
	    PRIu64 "\",match=\"%s\"} %" PRIu64 "\n", ri->key, match,
	    ri->st.pkts_passed);
}

void
received_metrics(FILE *f)
{
	uint64_t	counts[MIT_RX_REASON_MAX];
	int		i;

	fprintf(f, "# HELP dotsd_received_rules Received flowspec rules "
	    "enforced locally\n# TYPE dotsd_received_rules gauge\n"
	    "dotsd_received_rules %zu\n", engine_recv_count());
	fprintf(f, "# HELP dotsd_received_rules_ignored_total Received "
	    "flowspec rules left out, by reason\n"
	    "# TYPE dotsd_received_rules_ignored_total counter\n");
	engine_recv_ignored(counts);
	for (i = 0; i < MIT_RX_REASON_MAX; i++)
		fprintf(f, "dotsd_received_rules_ignored_total{reason=\"%s\"} "
		    "%" PRIu64 "\n", engine_recv_reason_name(i), counts[i]);
	fprintf(f, "# HELP dotsd_received_rule_dropped_packets_total "
	    "Packets dropped by one received rule\n"
	    "# TYPE dotsd_received_rule_dropped_packets_total counter\n"
	    "# HELP dotsd_received_rule_dropped_bytes_total "
	    "Bytes dropped by one received rule\n"
	    "# TYPE dotsd_received_rule_dropped_bytes_total counter\n"
	    "# HELP dotsd_received_rule_passed_packets_total "
	    "Packets a received rate limit or accept let through\n"
	    "# TYPE dotsd_received_rule_passed_packets_total counter\n");
	engine_recv_list(metric_row, f);
}
