/*
 * mitreq_put_fuzz.c: libFuzzer target for mitigation requests: CBOR body
 * -> codec_cbor_decode -> mitreq_put (dotsd/mitreq.c), then GET, DELETE
 * and a tick, with an in-memory store and a fake engine. Any reply must
 * be well-formed: a code, and a body or a diagnostic for every error.
 *
 * Input: byte 0 flags (bit 0 efficacy, bit 1 second client, bit 2
 * DELETE afterwards, bit 3 no mid), bytes 1-2 mid, the rest CBOR.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "dotsd/resolve.h"
#include "dotsd/store.h"
#include "lib/log.h"
#include "yang/codec.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct client_conf clients[2];
static struct dotsd_conf conf;
static time_t	now = 1700000000;
static unsigned	runs;

/* ---- doubles: engine, authz, resolver, signal.c ---- */

int
engine_apply(const struct mitigation *m, char *err, size_t errlen)
{
	if (m->ntargets == 0 || m->ntargets > MIT_MAX_TARGETS ||
	    m->nports > MIT_MAX_PORTS || m->nproto > MIT_MAX_PROTO)
		abort();	/* mitreq must never hand over such a thing */
	if (m->ports[0].lo == 666) {
		snprintf(err, errlen, "fuzz refusal");
		return -E2BIG;
	}
	return 0;
}

int
engine_withdraw(uint64_t id)
{
	return 0;
}

int
engine_status(uint64_t id, struct mit_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = id % 4;
	st->pkts_dropped = id * 3;
	return 0;
}

int
authz_prefix(const struct client_conf *c, const struct mit_prefix *p,
    char *why, size_t whylen)
{
	/* half of the address space belongs to each client */
	if ((p->addr[0] & 1) == (uint8_t)(c - clients))
		return 0;
	snprintf(why, whylen, "outside");
	return -EPERM;
}

const struct client_conf *
authz_by_name(const struct dotsd_conf *cf, const char *name)
{
	return strcmp(name, "c1") == 0 ? &clients[1] : &clients[0];
}

/* Answers at once: exercises the callback-while-starting path. */
int
resolve_start(const char *name, resolve_cb cb, void *arg)
{
	struct mit_prefix p = { .family = AF_INET, .len = 32,
	    .addr = { 198, 18, 0, (uint8_t)strlen(name) } };

	if (name[0] == 'x')
		return -EAGAIN;
	if (name[0] == 'n')
		cb(arg, -ENOENT, NULL, 0, 0);
	else
		cb(arg, 0, &p, 1, 60);
	return 0;
}

void
resolve_cancel(void *arg)
{
}

void
signal_notify(const struct client_conf *c, const char *cuid)
{
}

static void
check_reply(const struct dots_reply *r)
{
	if (r->drop || r->async)
		return;
	if (r->code < 200 || r->code > 599)
		abort();
	if (r->code >= 400 && r->body == NULL && r->diag[0] == '\0')
		abort();	/* every error carries a diagnostic */
	if (r->body != NULL) {
		uint8_t	*buf;
		size_t	 len;
		char	 diag[CODEC_DIAG_LEN];

		/* what we answer must be encodable */
		if (codec_cbor_encode(r->body, &buf, &len, diag,
		    sizeof(diag)) != 0) {
			fprintf(stderr, "reply %d not encodable: %s\n",
			    r->code, diag);
			abort();
		}
		free(buf);
	}
}

void
signal_async_reply(void *pending, struct dots_reply *r)
{
	check_reply(r);
	json_decref(r->body);
}

static void
reset(void)
{
	char	err[256];

	mitreq_fini();
	store_close();
	if (store_open(":memory:", err, sizeof(err)) != 0)
		abort();
	if (mitreq_load(&conf, now) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	i;

	log_init(1, 0, "mitreq_put_fuzz");
	for (i = 0; i < 2; i++) {
		snprintf(clients[i].name, sizeof(clients[i].name), "c%d", i);
		clients[i].max_mitigations = 32;
		clients[i].max_lifetime = 3600;
	}
	clients[1].gateway = 1;
	clients[1].allow_indefinite = 1;
	conf.clients = clients;
	conf.nclients = 2;
	conf.abt_period = 120;
	reset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dots_peer peer = { 0 };
	struct dots_uri	 uri = { 0 };
	struct dots_reply r;
	char		 diag[CODEC_DIAG_LEN];
	json_t		*body;
	uint8_t		 flags;

	if (size < 3)
		return 0;
	flags = data[0];
	if (codec_cbor_decode(data + 3, size - 3, &body, diag,
	    sizeof(diag)) != 0)
		return 0;
	peer.client = &clients[(flags >> 1) & 1];
	peer.pending = &peer;
	snprintf(uri.cuid, sizeof(uri.cuid), "cuid%d", flags >> 4 & 1);
	snprintf(uri.cdid, sizeof(uri.cdid), "cdid");
	uri.has_mid = !(flags & 8);
	uri.mid = (uint32_t)data[1] << 8 | data[2];

	mitreq_put(&peer, &uri, body, flags & 1, &r);
	check_reply(&r);
	json_decref(r.body);
	json_decref(body);

	mitreq_get(&peer, &uri, &r);
	check_reply(&r);
	json_decref(r.body);
	if (flags & 4) {
		mitreq_delete(&peer, &uri, &r);
		check_reply(&r);
		if (uri.has_mid && r.code != 202)
			abort();	/* §4.4.4: always 2.02 */
	}
	now += flags >> 5;
	mitreq_tick(now);
	body = mitreq_dump();
	json_decref(body);
	/* keep state bounded */
	if (++runs % 512 == 0)
		reset();
	return 0;
}
