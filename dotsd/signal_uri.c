/*
 * signal_uri.c: Uri-Path segments of signal-channel requests -> resource
 * and parameters (RFC 9132 §4.4.1, §4.5, §4.7). Parsers return a reason
 * and never log.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dotsd/signal_uri.h"

int
sigpath_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
seg_is(const char *seg, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(seg, name, len) == 0;
}

int
sigpath_parse(struct sig_path *p, const char *const *segs,
    const size_t *lens, int nsegs, char *why, size_t whylen)
{
	static const char *names[] = {
		[RES_MITIGATE] = "mitigate",
		[RES_CONFIG] = "config",
		[RES_HB] = "hb",
	};
	size_t k;
	int i;

	memset(p, 0, sizeof(*p));
	p->res = -1;
	if (nsegs < 3 || !seg_is(segs[0], lens[0], ".well-known") ||
	    !seg_is(segs[1], lens[1], "dots"))
		return -ENOENT;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (seg_is(segs[2], lens[2], names[k]))
			p->res = (int)k;
	if (p->res < 0)
		return -ENOENT;
	for (i = 3; i < nsegs; i++) {
		if (p->nparams >= SIGURI_MAX_SEGS || lens[i] >= SIGURI_SEG_LEN) {
			snprintf(why, whylen, "too many or too long Uri-Path "
			    "segments");
			return -EINVAL;
		}
		if (memchr(segs[i], '\0', lens[i]) != NULL) {
			snprintf(why, whylen, "NUL in Uri-Path");
			return -EINVAL;
		}
		memcpy(p->param[p->nparams], segs[i], lens[i]);
		p->param[p->nparams][lens[i]] = '\0';
		p->nparams++;
	}
	return 0;
}

/* "name=value": value, or NULL if the segment is another parameter. */
static const char *
param_value(const char *seg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(seg, name, n) != 0 || seg[n] != '=')
		return NULL;
	return seg + n + 1;
}

int
sigpath_mitigate(const struct sig_path *p, int gateway, struct dots_uri *u,
    char *why, size_t whylen)
{
	const char *v;
	int i = 0;

	memset(u, 0, sizeof(*u));
	if (i < p->nparams && (v = param_value(p->param[i], "cdid"))) {
		/* RFC 9132 §4.4.1: empty values make the request invalid. */
		if (*v == '\0' || strlen(v) >= sizeof(u->cdid)) {
			snprintf(why, whylen, "bad cdid");
			return -EINVAL;
		}
		if (gateway)
			snprintf(u->cdid, sizeof(u->cdid), "%s", v);
		i++;
	}
	if (i >= p->nparams ||
	    (v = param_value(p->param[i], "cuid")) == NULL) {
		snprintf(why, whylen, "missing cuid");
		return -EINVAL;
	}
	if (*v == '\0' || strlen(v) >= sizeof(u->cuid)) {
		snprintf(why, whylen, "bad cuid");
		return -EINVAL;
	}
	snprintf(u->cuid, sizeof(u->cuid), "%s", v);
	i++;
	if (i < p->nparams) {
		if ((v = param_value(p->param[i], "mid")) == NULL ||
		    sigpath_u32(v, strlen(v), &u->mid) != 0) {
			snprintf(why, whylen, "bad Uri-Path segment \"%.64s\"",
			    p->param[i]);
			return -EINVAL;
		}
		u->has_mid = 1;
		i++;
	}
	if (i < p->nparams) {
		snprintf(why, whylen, "unexpected Uri-Path segment \"%.64s\"",
		    p->param[i]);
		return -EINVAL;
	}
	return 0;
}

int
sigpath_config(const struct sig_path *p, int *has_sid, uint32_t *sid,
    char *why, size_t whylen)
{
	const char *v;

	*has_sid = 0;
	*sid = 0;
	/* RFC 9132 §4.5: at most sid; a cuid here is an error. */
	if (p->nparams > 1) {
		snprintf(why, whylen, "unexpected Uri-Path segment");
		return -EINVAL;
	}
	if (p->nparams == 1) {
		if ((v = param_value(p->param[0], "sid")) == NULL ||
		    sigpath_u32(v, strlen(v), sid) != 0) {
			snprintf(why, whylen, "bad Uri-Path segment \"%.64s\"",
			    p->param[0]);
			return -EINVAL;
		}
		*has_sid = 1;
	}
	return 0;
}
