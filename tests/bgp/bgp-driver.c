/*
 * bgp-driver.c: runs bgp_backend without dotsd, for the integration tests
 * and the benchmark. Reads commands from stdin (and first from -c FILE),
 * one per line, and answers each on stdout:
 *
 *	conf KEY VALUE...	 configure() before start
 *	start			 start()
 *	rule GROUP SPEC...	 add a rule to GROUP's pending set (see below)
 *	commit GROUP		 apply() the pending set -> "ok commit G" / "error"
 *	withdraw GROUP		 withdraw()
 *	stats GROUP		 "stats G announced N peers_up M" or "stats G none"
 *	peers			 one line per neighbor
 *	wait-up N SECS		 until N neighbors are Established
 *	wait-announced G N SECS	 until stats(G).announced >= N
 *	gen G0 COUNT [v6]	 COUNT one-rule flowspec routes (drop, dst /32 or
 *				 /128, UDP) in groups of 64 from G0 on
 *	ungen G0 COUNT		 withdraw those groups
 *	sleep MS / quit
 *
 * SPEC: flow|rtbh, drop|accept|rate-bytes N|rate-packets N, dst PFX,
 * src PFX, proto L, port L, dport L, sport L, icmp-type L, icmp-code L,
 * tcp-flags MASK/VALUE, pkt-len L, dscp L, frag MASK/VALUE, flow-label N;
 * L is a comma list of N or LO-HI.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "lib/log.h"
#include "mitigate/mitigate.h"

#define MAX_PENDING	64

static struct {
	uint64_t		group;
	struct mit_ruleset	rs;
} pending[MAX_PENDING];
static int	npending;
static uint32_t	next_rule_id = 1;

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct mit_ruleset *
pending_get(uint64_t group)
{
	int	i;

	for (i = 0; i < npending; i++)
		if (pending[i].group == group)
			return &pending[i].rs;
	if (npending == MAX_PENDING)
		return NULL;
	pending[npending].group = group;
	memset(&pending[npending].rs, 0, sizeof(pending[npending].rs));
	pending[npending].rs.group = group;
	return &pending[npending++].rs;
}

static void
pending_drop(uint64_t group)
{
	int	i;

	for (i = 0; i < npending; i++)
		if (pending[i].group == group) {
			pending[i] = pending[--npending];
			return;
		}
}

static int
parse_prefix(const char *s, struct mit_prefix *p)
{
	char	buf[64], *slash;
	int	len, i;

	snprintf(buf, sizeof(buf), "%s", s);
	memset(p, 0, sizeof(*p));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		len = slash ? atoi(slash + 1) : 32;
		if (len < 0 || len > 32)
			return -1;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		len = slash ? atoi(slash + 1) : 128;
		if (len < 0 || len > 128)
			return -1;
	} else
		return -1;
	p->len = len;
	for (i = len; i < 128; i++)	/* clear host bits */
		p->addr[i / 8] &= ~(0x80 >> (i % 8));
	return 0;
}

static int
parse_ranges(const char *s, struct mit_range *r, uint8_t *n, int max)
{
	char	buf[256], *tok, *save, *dash;

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*n >= max)
			return -1;
		dash = strchr(tok, '-');
		r[*n].lo = strtoul(tok, NULL, 0);
		r[*n].hi = dash ? strtoul(dash + 1, NULL, 0) : r[*n].lo;
		(*n)++;
	}
	return 0;
}

static int
parse_maskval(const char *s, uint8_t *mask, uint8_t *value)
{
	const char	*slash = strchr(s, '/');

	if (slash == NULL)
		return -1;
	*mask = strtoul(s, NULL, 0);
	*value = strtoul(slash + 1, NULL, 0);
	return 0;
}

static int
parse_rule(char *save, struct mit_rule *r)
{
	struct mit_range	rg[MIT_MAX_RANGES];
	uint8_t			n;
	char			*tok, *arg;
	int			i;

	memset(r, 0, sizeof(*r));
	r->id = next_rule_id++;
	while ((tok = strtok_r(NULL, " \t\n", &save)) != NULL) {
		if (strcmp(tok, "flow") == 0) {
			r->kind = MIT_KIND_FLOW;
			continue;
		}
		if (strcmp(tok, "rtbh") == 0) {
			r->kind = MIT_KIND_RTBH;
			continue;
		}
		if (strcmp(tok, "drop") == 0) {
			r->action = MIT_ACT_DROP;
			continue;
		}
		if (strcmp(tok, "accept") == 0) {
			r->action = MIT_ACT_ACCEPT;
			continue;
		}
		if ((arg = strtok_r(NULL, " \t\n", &save)) == NULL)
			return -1;
		if (strcmp(tok, "rate-bytes") == 0) {
			r->action = MIT_ACT_RATE_BPS;
			r->rate = strtoull(arg, NULL, 0);
		} else if (strcmp(tok, "rate-packets") == 0) {
			r->action = MIT_ACT_RATE_PPS;
			r->rate = strtoull(arg, NULL, 0);
		} else if (strcmp(tok, "dst") == 0) {
			if (parse_prefix(arg, &r->dst) < 0)
				return -1;
		} else if (strcmp(tok, "src") == 0) {
			if (parse_prefix(arg, &r->src) < 0)
				return -1;
			r->present |= MIT_F_SRC;
		} else if (strcmp(tok, "proto") == 0) {
			if (parse_ranges(arg, rg, &n, MIT_MAX_PROTO) < 0)
				return -1;
			for (i = 0; i < n; i++)
				r->proto[i] = rg[i].lo;
			r->nproto = n;
			r->present |= MIT_F_PROTO;
		} else if (strcmp(tok, "port") == 0) {
			if (parse_ranges(arg, r->port, &r->nport,
			    MIT_MAX_RANGES) < 0)
				return -1;
			r->present |= MIT_F_PORT;
		} else if (strcmp(tok, "dport") == 0) {
			if (parse_ranges(arg, r->dport, &r->ndport,
			    MIT_MAX_RANGES) < 0)
				return -1;
			r->present |= MIT_F_DPORT;
		} else if (strcmp(tok, "sport") == 0) {
			if (parse_ranges(arg, r->sport, &r->nsport,
			    MIT_MAX_RANGES) < 0)
				return -1;
			r->present |= MIT_F_SPORT;
		} else if (strcmp(tok, "icmp-type") == 0) {
			if (parse_ranges(arg, r->icmp_type, &r->nicmp_type,
			    MIT_MAX_RANGES) < 0)
				return -1;
			r->present |= MIT_F_ICMP_TYPE;
		} else if (strcmp(tok, "icmp-code") == 0) {
			if (parse_ranges(arg, r->icmp_code, &r->nicmp_code,
			    MIT_MAX_RANGES) < 0)
				return -1;
			r->present |= MIT_F_ICMP_CODE;
		} else if (strcmp(tok, "tcp-flags") == 0) {
			if (parse_maskval(arg, &r->tcp_flags_mask,
			    &r->tcp_flags_value) < 0)
				return -1;
			r->present |= MIT_F_TCP_FLAGS;
		} else if (strcmp(tok, "pkt-len") == 0) {
			if (parse_ranges(arg, r->pkt_len, &r->npkt_len,
			    MIT_MAX_RANGES) < 0)
				return -1;
			r->present |= MIT_F_PKT_LEN;
		} else if (strcmp(tok, "dscp") == 0) {
			if (parse_ranges(arg, rg, &n, MIT_MAX_RANGES) < 0)
				return -1;
			for (i = 0; i < n; i++) {
				unsigned d;

				for (d = rg[i].lo; d <= rg[i].hi && d < 64; d++)
					r->dscp_set |= 1ULL << d;
			}
			r->present |= MIT_F_DSCP;
		} else if (strcmp(tok, "frag") == 0) {
			if (parse_maskval(arg, &r->frag_mask,
			    &r->frag_value) < 0)
				return -1;
			r->present |= MIT_F_FRAG;
		} else if (strcmp(tok, "flow-label") == 0) {
			r->flow_label = strtoul(arg, NULL, 0);
			r->present |= MIT_F_FLOW_LABEL;
		} else
			return -1;
	}
	return r->dst.family ? 0 : -1;
}

static void
stats_line(uint64_t g)
{
	struct mit_stats	st;

	if (bgp_backend.stats(g, &st) < 0)
		printf("stats %llu none\n", (unsigned long long)g);
	else
		printf("stats %llu announced %u peers_up %u\n",
		    (unsigned long long)g, st.announced, st.peers_up);
}

/* COUNT one-rule flowspec routes, 64 per group, distinct destinations. */
static int
gen(uint64_t g0, uint32_t count, int v6, int withdraw)
{
	static struct mit_ruleset	rs;
	char				err[256];
	uint32_t			i, k, groups;
	int64_t				t0 = now_ms();
	int				r;

	groups = (count + MIT_MAX_GROUP_RULES - 1) / MIT_MAX_GROUP_RULES;
	for (k = 0; k < groups; k++) {
		if (withdraw) {
			bgp_backend.withdraw(g0 + k, err, sizeof(err));
			continue;
		}
		memset(&rs, 0, sizeof(rs));
		rs.group = g0 + k;
		for (i = 0; i < MIT_MAX_GROUP_RULES &&
		    k * MIT_MAX_GROUP_RULES + i < count; i++) {
			struct mit_rule	*ru = &rs.rules[rs.nrules++];
			uint32_t	n = k * MIT_MAX_GROUP_RULES + i;

			ru->id = next_rule_id++;
			ru->kind = MIT_KIND_FLOW;
			ru->action = MIT_ACT_DROP;
			if (v6) {
				/* 2001:db8:0:N::1/128 */
				ru->dst.family = AF_INET6;
				ru->dst.len = 128;
				ru->dst.addr[0] = 0x20;
				ru->dst.addr[1] = 0x01;
				ru->dst.addr[2] = 0x0d;
				ru->dst.addr[3] = 0xb8;
				ru->dst.addr[4] = n >> 24;
				ru->dst.addr[5] = n >> 16;
				ru->dst.addr[6] = n >> 8;
				ru->dst.addr[7] = n;
				ru->dst.addr[15] = 1;
			} else {
				/* 198.18.0.0/15 holds 131072 hosts */
				uint32_t a = 0xc6120000u + n;

				ru->dst.family = AF_INET;
				ru->dst.len = 32;
				ru->dst.addr[0] = a >> 24;
				ru->dst.addr[1] = a >> 16;
				ru->dst.addr[2] = a >> 8;
				ru->dst.addr[3] = a;
			}
			ru->present = MIT_F_PROTO;
			ru->nproto = 1;
			ru->proto[0] = 17;
		}
		if ((r = bgp_backend.apply(&rs, err, sizeof(err))) < 0) {
			printf("error gen group %llu: %s\n",
			    (unsigned long long)rs.group, err);
			return r;
		}
	}
	printf("ok %s %u routes in %u groups, %lld ms\n",
	    withdraw ? "ungen" : "gen", count, groups,
	    (long long)(now_ms() - t0));
	return 0;
}

static int
command(char *line)
{
	char		*save, *cmd, *a, *b, *c, err[256];
	uint64_t	g;
	int		r, i;

	err[0] = '\0';
	if ((cmd = strtok_r(line, " \t\n", &save)) == NULL || cmd[0] == '#')
		return 0;
	if (strcmp(cmd, "conf") == 0) {
		char	*key = strtok_r(NULL, " \t\n", &save);
		char	*val = save ? save + strspn(save, " \t") : "";

		if (key == NULL)
			return -1;
		val[strcspn(val, "\n")] = '\0';
		if ((r = bgp_backend.configure(key, val, err,
		    sizeof(err))) < 0)
			printf("error conf %s: %s\n", key, err);
		return r;
	}
	if (strcmp(cmd, "start") == 0) {
		if ((r = bgp_backend.start(err, sizeof(err))) < 0)
			printf("error start: %s\n", err);
		else
			printf("ok start\n");
		return r;
	}
	if (strcmp(cmd, "quit") == 0)
		return 1;
	a = strtok_r(NULL, " \t\n", &save);
	if (strcmp(cmd, "peers") == 0) {
		char	buf[512];

		for (i = 0; bgp_speaker_peer_info(i, buf, sizeof(buf)) == 0;
		    i++)
			printf("%s\n", buf);
		return 0;
	}
	if (a == NULL)
		goto usage;
	g = strtoull(a, NULL, 0);
	if (strcmp(cmd, "rule") == 0) {
		struct mit_ruleset *rs = pending_get(g);

		if (rs == NULL || rs->nrules >= MIT_MAX_GROUP_RULES ||
		    parse_rule(save, &rs->rules[rs->nrules]) < 0) {
			printf("error rule %llu: bad rule\n",
			    (unsigned long long)g);
			return -1;
		}
		rs->nrules++;
		return 0;
	}
	if (strcmp(cmd, "commit") == 0) {
		struct mit_ruleset *rs = pending_get(g);

		if (rs == NULL)
			return -1;
		if ((r = bgp_backend.apply(rs, err, sizeof(err))) < 0)
			printf("error commit %llu: %d %s\n",
			    (unsigned long long)g, r, err);
		else
			printf("ok commit %llu\n", (unsigned long long)g);
		pending_drop(g);
		return r;
	}
	if (strcmp(cmd, "withdraw") == 0) {
		r = bgp_backend.withdraw(g, err, sizeof(err));
		printf("%s withdraw %llu\n", r < 0 ? "error" : "ok",
		    (unsigned long long)g);
		return r;
	}
	if (strcmp(cmd, "stats") == 0) {
		stats_line(g);
		return 0;
	}
	if (strcmp(cmd, "sleep") == 0) {
		usleep(g * 1000);
		return 0;
	}
	b = strtok_r(NULL, " \t\n", &save);
	if (strcmp(cmd, "wait-up") == 0) {
		int64_t	end = now_ms() + (b ? atoll(b) : 30) * 1000;

		while (bgp_speaker_peers_up() < (int)g && now_ms() < end)
			usleep(50000);
		printf("%s %d\n", bgp_speaker_peers_up() >= (int)g ? "up" :
		    "timeout up", bgp_speaker_peers_up());
		return 0;
	}
	if (strcmp(cmd, "gen") == 0 || strcmp(cmd, "ungen") == 0) {
		c = strtok_r(NULL, " \t\n", &save);
		if (b == NULL)
			goto usage;
		return gen(g, strtoul(b, NULL, 0), c && strcmp(c, "v6") == 0,
		    cmd[0] == 'u');
	}
	if (strcmp(cmd, "wait-announced") == 0) {
		struct mit_stats st = { 0 };
		int64_t		end;

		c = strtok_r(NULL, " \t\n", &save);
		if (b == NULL)
			goto usage;
		end = now_ms() + (c ? atoll(c) : 30) * 1000;
		while ((bgp_backend.stats(g, &st) < 0 ||
		    st.announced < strtoul(b, NULL, 0)) && now_ms() < end)
			usleep(20000);
		stats_line(g);
		return 0;
	}
usage:
	printf("error unknown command %s\n", cmd);
	return -1;
}

static int
run(FILE *f)
{
	char	line[4096];
	int	r;

	while (fgets(line, sizeof(line), f) != NULL) {
		r = command(line);
		fflush(stdout);
		if (r > 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	FILE	*f;
	int	ch, verbose = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, 0, "bgp-driver");
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			if ((f = fopen(optarg, "r")) == NULL) {
				perror(optarg);
				return 1;
			}
			if (run(f) > 0) {
				fclose(f);
				goto out;
			}
			fclose(f);
			break;
		case 'v':
			log_setverbose(++verbose);
			break;
		default:
			fprintf(stderr, "usage: bgp-driver [-v] [-c file]\n");
			return 2;
		}
	}
	run(stdin);
out:
	bgp_backend.stop();
	return 0;
}
