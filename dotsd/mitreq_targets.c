/*
 * mitreq_targets.c: who may be protected, and where names point. Every
 * explicit and resolved target is authorized for its client (RFC 9132
 * §4.4.1.1); target-fqdn and target-uri names are resolved before a PUT
 * is decided, and again when their TTL runs out (tick).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"
#include "dotsd/resolve.h"
#include "lib/log.h"

/* Authorizes every explicit and resolved target of c. 0 or -EPERM. */
int
mitreq_targets_authorize(const struct client_conf *c,
    const struct mit_prefix *p, int n, char *why, size_t whylen)
{
	char	buf[64], reason[160];
	int	i;

	for (i = 0; i < n; i++) {
		reason[0] = '\0';
		if (authz_prefix(c, &p[i], reason, sizeof(reason)) == 0)
			continue;
		prefix_format(&p[i], buf, sizeof(buf));
		snprintf(why, whylen, "target %s refused: %s", buf,
		    reason[0] ? reason : "outside the client's domain");
		return -EPERM;
	}
	return 0;
}

static void
res_cb(void *arg, int err, const struct mit_prefix *addrs, int n,
    uint32_t ttl)
{
	struct ressub	*sub = arg;
	struct resjob	*job = sub->job;
	int		 i;

	sub->done = 1;
	if (err < 0 && job->err == 0) {
		job->err = err;
		snprintf(job->failed, sizeof(job->failed), "%s", sub->name);
	} else if (err == 0 && n == 0 && job->err == 0) {
		job->err = -ENODATA;
		snprintf(job->failed, sizeof(job->failed), "%s", sub->name);
	}
	for (i = 0; err == 0 && i < n; i++)
		if (mitreq_parse_prefix_add(job->addr, &job->naddr,
		    MIT_MAX_TARGETS, &addrs[i]) < 0)
			job->overflow = 1;
	if (err == 0 && (job->ttl == 0 || ttl < job->ttl))
		job->ttl = ttl;
	if (--job->outstanding == 0 && !job->starting)
		mitreq_targets_resolve(job);	/* all answered: finish */
}

static void	reresolved(struct mreq *, struct resjob *);

/*
 * First call: asks for every name. Called again by res_cb when the last
 * answer is in (outstanding 0, starting 0): hands the result on.
 */
void
mitreq_targets_resolve(struct resjob *job)
{
	struct req	*rq;
	int		 i;

	if (job->nsub == 0 && job->outstanding == 0 && !job->starting) {
		rq = job->put ? &job->put->rq : &job->m->rq;
		job->starting = 1;
		for (i = 0; i < rq->nnames && i < MAX_NAMES; i++) {
			job->sub[i].job = job;
			snprintf(job->sub[i].name, NAME_LEN, "%s",
			    rq->names[i]);
			job->nsub++;
			job->outstanding++;
			if (resolve_start(rq->names[i], res_cb,
			    &job->sub[i]) < 0) {
				job->sub[i].done = 1;
				job->outstanding--;
				if (job->err == 0) {
					job->err = -EAGAIN;
					snprintf(job->failed,
					    sizeof(job->failed), "%s",
					    rq->names[i]);
				}
			}
		}
		job->starting = 0;
		if (job->outstanding > 0)
			return;
	}
	if (job->put != NULL)
		mitreq_put_resolved(job->put);
	else
		reresolved(job->m, job);
}

void
mitreq_targets_cancel(struct resjob *job)
{
	int	i;

	for (i = 0; i < job->nsub; i++)
		if (!job->sub[i].done)
			resolve_cancel(&job->sub[i]);
}

static void
reresolved(struct mreq *m, struct resjob *job)
{
	time_t		 now = mitreq_now();
	char		 why[200];
	int		 i, n = 0;
	struct mit_prefix ok[MIT_MAX_TARGETS];
	char		 err[160];

	m->job = NULL;
	if (job->err < 0 || job->naddr == 0) {
		log_warnx("mitigation %s/%u: re-resolving %s: %s",
		    m->client->name, m->mid, job->failed,
		    job->err ? strerror(-job->err) : "no address");
		m->resolve_at = now + RESOLVE_RETRY;
		free(job);
		return;
	}
	/* §4.4.1.1: resolved addresses get the target-prefix checks again */
	for (i = 0; i < job->naddr; i++) {
		if (mitreq_targets_authorize(m->client, &job->addr[i], 1, why,
		    sizeof(why)) < 0) {
			log_warnx("mitigation %s/%u: %s", m->client->name,
			    m->mid, why);
			continue;
		}
		ok[n++] = job->addr[i];
	}
	m->resolve_at = now + (job->ttl > RESOLVE_MIN ? job->ttl :
	    RESOLVE_MIN);
	if (n > 0 && (n != m->naddr ||
	    memcmp(ok, m->addr, sizeof(ok[0]) * (size_t)n) != 0)) {
		m->naddr = (uint8_t)n;
		memcpy(m->addr, ok, sizeof(ok[0]) * (size_t)n);
		mitreq_index_retarget(m);
		if ((m->in_engine || m->enforce_pending) &&
		    mitreq_engine_hand(m, err, sizeof(err)) < 0)
			log_warnx("mitigation %s/%u: re-apply: %s",
			    m->client->name, m->mid, err);
		else {
			m->enforce_pending = 0;
			log_info("mitigation %s/%u: targets re-resolved",
			    m->client->name, m->mid);
		}
	}
	free(job);
}
