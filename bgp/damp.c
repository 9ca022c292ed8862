/*
 * damp.c: damping: a flapping mitigation keeps its routes (RFC 2439-like).
 * Each withdraw of a group adds a penalty that decays with half-life;
 * above suppress the withdraw waits until it decays below reuse or
 * max-hold passes.
 */
#include <math.h>
#include <stdlib.h>

#include "bgp/bgp.h"
#include "bgp/speaker_int.h"
#include "lib/log.h"

static struct damp	*damps;
static size_t		ndamps, cdamps;

struct damp *
damp_get(uint64_t group, int create)
{
	size_t	i;

	for (i = 0; i < ndamps; i++)
		if (damps[i].group == group)
			return &damps[i];
	if (!create)
		return NULL;
	if (ndamps == cdamps) {
		size_t		cap = cdamps ? cdamps * 2 : 16;
		struct damp	*n = reallocarray(damps, cap, sizeof(*n));

		if (n == NULL)
			return NULL;
		damps = n;
		cdamps = cap;
	}
	damps[ndamps] = (struct damp){ group, 0, bgp_now_ms() };
	return &damps[ndamps++];
}

double
damp_decay(struct damp *d, int64_t now)
{
	d->penalty *= pow(0.5, (double)(now - d->t) / 1000.0 /
	    bgp_sp.half_life);
	d->t = now;
	return d->penalty;
}

/* Releases held withdraws whose penalty decayed; forgets old records. */
void
damp_tick(int64_t now)
{
	struct group	*g, *next;
	size_t		i;

	for (g = groups; g; g = next) {
		struct damp *d;

		next = g->next;
		if (!g->linger_since)
			continue;
		d = damp_get(g->id, 0);
		if (d == NULL || damp_decay(d, now) < bgp_sp.reuse ||
		    now - g->linger_since >= (int64_t)bgp_sp.max_hold * 1000) {
			log_info("bgp: damping: releasing withdraw of group "
			    "%llu", (unsigned long long)g->id);
			group_remove(g);
		}
	}
	for (i = 0; i < ndamps; ) {
		if (damp_decay(&damps[i], now) < 1.0 &&
		    !group_find(damps[i].group, NULL)) {
			damps[i] = damps[--ndamps];
			continue;
		}
		i++;
	}
}

void
damp_clear(void)
{
	free(damps);
	damps = NULL;
	ndamps = cdamps = 0;
}
