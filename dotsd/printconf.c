/*
 * printconf.c: the configuration as dotsd understood it (dotsd -nv), with
 * every default spelled out, in a fixed order. What it prints parses back
 * to the same configuration; tests/vectors/conf/ holds golden copies.
 */
#include <stdio.h>
#include <string.h>

#include "dotsd/conf.h"

static void
print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
print_path(FILE *f, const char *kw, const char *path)
{
	if (path[0] == '\0')
		return;
	fprintf(f, "%s ", kw);
	print_quoted(f, path);
	fputc('\n', f);
}

static void
print_centi(FILE *f, uint32_t v)
{
	fprintf(f, "%u.%02u", v / 100, v % 100);
}

static void
print_range(FILE *f, const char *name, const struct cfg_range *r, int centi)
{
	fprintf(f, "\t%s ", name);
	if (centi) {
		print_centi(f, r->min);
		fputs("..", f);
		print_centi(f, r->max);
		fputs(" default ", f);
		print_centi(f, r->cur);
	} else
		fprintf(f, "%u..%u default %u", r->min, r->max, r->cur);
	fputc('\n', f);
}

static void
print_session(FILE *f, const char *name, const struct sess_params *sp)
{
	fprintf(f, "\nsession %s {\n", name);
	print_range(f, "heartbeat-interval", &sp->hb_interval, 0);
	print_range(f, "missing-hb-allowed", &sp->missing_hb, 0);
	print_range(f, "probing-rate", &sp->probing_rate, 0);
	print_range(f, "max-retransmit", &sp->max_retransmit, 0);
	print_range(f, "ack-timeout", &sp->ack_timeout, 1);
	print_range(f, "ack-random-factor", &sp->ack_random_factor, 1);
	fputs("}\n", f);
}

static void
print_identity(FILE *f, const struct client_conf *cl)
{
	size_t	i;

	fputs("\tidentity ", f);
	switch (cl->id_kind) {
	case ID_SPKI_SHA256:
		fprintf(f, "spki-sha256 %s", cl->id_value);
		break;
	case ID_SUBJECT_CN:
		fputs("cn ", f);
		print_quoted(f, cl->id_value);
		break;
	case ID_SAN_DNS:
		fputs("san-dns ", f);
		print_quoted(f, cl->id_value);
		break;
	case ID_PSK:
		fputs("psk ", f);
		print_quoted(f, cl->id_value);
		fputs(" key ", f);
		for (i = 0; i < cl->psk_len; i++)
			fprintf(f, "%02x", cl->psk_key[i]);
		break;
	}
	fputc('\n', f);
}

static void
print_client(FILE *f, const struct client_conf *cl)
{
	static const char *const pin[] = {
		[MIT_LEVEL_LOCAL] = "local",
		[MIT_LEVEL_FLOWSPEC] = "flowspec",
		[MIT_LEVEL_RTBH] = "rtbh",
	};
	char	 buf[64];
	uint32_t i;

	fputs("\nclient ", f);
	print_quoted(f, cl->name);
	fputs(" {\n", f);
	print_identity(f, cl);
	for (i = 0; i < cl->nprefixes; i++) {
		prefix_format(&cl->prefixes[i], buf, sizeof(buf));
		fprintf(f, "\tprefix %s\n", buf);
	}
	fprintf(f, "\tmax-mitigations %u\n", cl->max_mitigations);
	fprintf(f, "\tmax-lifetime %u\n", cl->max_lifetime);
	fprintf(f, "\tindefinite-lifetime %s\n",
	    cl->allow_indefinite ? "yes" : "no");
	fprintf(f, "\tmin-prefix-len4 %u\n", cl->min_len4);
	fprintf(f, "\tmin-prefix-len6 %u\n", cl->min_len6);
	fprintf(f, "\tgateway %s\n", cl->gateway ? "yes" : "no");
	fprintf(f, "\tmitigate-with%s%s%s\n",
	    cl->policy.backends & MIT_WHERE_XDP ? " xdp" : "",
	    cl->policy.backends & MIT_WHERE_FLOWSPEC ? " flowspec" : "",
	    cl->policy.backends & MIT_WHERE_RTBH ? " rtbh" : "");
	fprintf(f, "\tpin-level %s\n",
	    cl->policy.pin_level >= MIT_LEVEL_LOCAL &&
	    cl->policy.pin_level <= MIT_LEVEL_RTBH ?
	    pin[cl->policy.pin_level] : "auto");
	fprintf(f, "\tmax-rules %u\n", cl->policy.max_rules);
	fputs("}\n", f);
}

void
conf_print(FILE *f, const struct dotsd_conf *c)
{
	const struct listen_conf *l;
	const char *prev = NULL, *s, *comma;
	int	 i;

	fputs("# dotsd.conf, normalized by dotsd -nv\n", f);
	if (c->signal_off)
		fputs("signal off\n", f);
	for (i = 0; i < c->nlisten; i++) {
		l = &c->listen[i];
		fprintf(f, "listen on %s port %u %s\n", l->addr, l->port,
		    l->proto == LISTEN_DTLS ? "dtls" : "tls");
	}
	for (i = 0; i < c->ndc_listen; i++)
		fprintf(f, "data-channel listen %s port %u\n",
		    c->dc_listen[i].addr, c->dc_listen[i].port);
	print_path(f, "certificate", c->cert);
	print_path(f, "key", c->key);
	print_path(f, "ca", c->ca);
	fprintf(f, "psk %s\n", c->psk ? "yes" : "no");
	print_path(f, "database", c->db);
	print_path(f, "control", c->control);
	print_path(f, "yang-dir", c->yang_dir);
	if (c->metrics_addr[0] != '\0')
		fprintf(f, "metrics listen %s port %u\n", c->metrics_addr,
		    c->metrics_port);
	for (s = c->resolver; *s != '\0'; s = *comma ? comma + 1 : comma) {
		comma = strchr(s, ',');
		if (comma == NULL)
			comma = s + strlen(s);
		fprintf(f, "resolver %.*s\n", (int)(comma - s), s);
	}
	fprintf(f, "lifetime default %u max %u\n", c->default_lifetime,
	    c->max_lifetime);
	fprintf(f, "active-but-terminating %u\n", c->abt_period);
	fprintf(f, "max-sessions %u\n", c->max_sessions);

	print_session(f, "idle", &c->idle);
	print_session(f, "mitigating", &c->mitigating);
	for (i = 0; i < c->nclients; i++)
		print_client(f, &c->clients[i]);

	/* Opaque blocks in file order; a new block when the section changes. */
	for (i = 0; i < c->nkv; i++) {
		if (prev == NULL || strcmp(prev, c->kv[i].section) != 0) {
			if (prev != NULL)
				fputs("}\n", f);
			fprintf(f, "\n%s {\n", c->kv[i].section);
			prev = c->kv[i].section;
		}
		fprintf(f, "\t%s%s%s\n", c->kv[i].key,
		    c->kv[i].value[0] ? " " : "", c->kv[i].value);
	}
	if (prev != NULL)
		fputs("}\n", f);
}
