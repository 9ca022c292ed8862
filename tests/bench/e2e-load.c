/*
 * e2e-load.c: many mitigation requests over one signal channel session,
 * for tests/bench/e2e-bench.sh (time to install 10,000 mitigations).
 *
 *   e2e-load [dots-client connection options] -n COUNT -m MID -b ADDR [-w]
 *
 * Sends COUNT PUTs (or with -w, DELETEs) one after the other, mids MID,
 * MID+1, ..., each for the host ADDR+i/32 (IPv4), lifetime 3600 s, and
 * prints "done N ok K secs S rate R p50_ms A p99_ms B". It reuses
 * dots-client's session code (chan.c) and the project codec, so what is
 * measured is dotsd: decode, authorize, store, engine, backends, answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dots-client/client.h"
#include "yang/codec.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
load_usage(void)
{
	fprintf(stderr, "usage: e2e-load -s URI --cert F --key F --ca F "
	    "-n COUNT -m MID -b ADDR [-w]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct client_opts o;
	struct server_uri su;
	struct chan_opts co;
	struct chan	*c;
	char		 err[256], cuid[64], cuid_seg[80], mid_seg[32];
	char		*cargv[16], addr[INET_ADDRSTRLEN + 4];
	char		*server = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	struct in_addr	 base;
	double		*lat, t0, t;
	long		 count = 0, mid = 0, i, nok = 0, nbad = 0;
	int		 withdraw = 0, cargc = 0;

	for (i = 1; i < argc; i++) {
		char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-w") == 0) {
			withdraw = 1;
			continue;
		}
		if (v == NULL)
			load_usage();
		if (strcmp(a, "-s") == 0)
			server = v;
		else if (strcmp(a, "--cert") == 0)
			cert = v;
		else if (strcmp(a, "--key") == 0)
			key = v;
		else if (strcmp(a, "--ca") == 0)
			ca = v;
		else if (strcmp(a, "-n") == 0)
			count = atol(v);
		else if (strcmp(a, "-m") == 0)
			mid = atol(v);
		else if (strcmp(a, "-b") == 0) {
			if (inet_pton(AF_INET, v, &base) != 1)
				load_usage();
		} else
			load_usage();
		i++;
	}
	if (!server || !cert || !key || !ca || count <= 0 || mid <= 0)
		load_usage();

	/* dots-client's own option handling checks the credentials */
	cargv[cargc++] = "e2e-load";
	cargv[cargc++] = "-s";
	cargv[cargc++] = server;
	cargv[cargc++] = "--cert";
	cargv[cargc++] = cert;
	cargv[cargc++] = "--key";
	cargv[cargc++] = key;
	cargv[cargc++] = "--ca";
	cargv[cargc++] = ca;
	cargv[cargc++] = "get";
	cargv[cargc] = NULL;
	opts_init(&o);
	if (args_parse(&o, cargc, cargv, err, sizeof(err)) < 0 ||
	    opts_finish(&o, &su, err, sizeof(err)) < 0 ||
	    cuid_from_cert(cert, cuid, sizeof(cuid), err, sizeof(err)) < 0) {
		fprintf(stderr, "e2e-load: %s\n", err);
		return 1;
	}
	opts_chan(&o, &co);
	if (chan_open(&c, &co, &su, 15000, err, sizeof(err)) < 0) {
		fprintf(stderr, "e2e-load: %s\n", err);
		return 1;
	}
	if ((lat = calloc(count, sizeof(*lat))) == NULL)
		return 1;
	snprintf(cuid_seg, sizeof(cuid_seg), "cuid=%s", cuid);

	t0 = now();
	for (i = 0; i < count; i++) {
		struct chan_req rq = { .retry = 1, .observe = -1 };
		struct dc_response resp;
		struct in_addr a;
		uint8_t *cbor = NULL;
		size_t len = 0;
		json_t *body = NULL;
		char diag[CODEC_DIAG_LEN];
		int rv;

		a.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)i);
		inet_ntop(AF_INET, &a, addr, INET_ADDRSTRLEN);
		strcat(addr, "/32");
		snprintf(mid_seg, sizeof(mid_seg), "mid=%ld", mid + i);
		rq.path[0] = "mitigate";
		rq.path[1] = cuid_seg;
		rq.path[2] = mid_seg;
		if (withdraw)
			rq.method = CHAN_DELETE;
		else {
			rq.method = CHAN_PUT;
			body = json_pack("{s:{s:[{s:[s], s:i}]}}",
			    "ietf-dots-signal-channel:mitigation-scope",
			    "scope", "target-prefix", addr, "lifetime", 3600);
			if (body == NULL || codec_cbor_encode(body, &cbor, &len,
			    diag, sizeof(diag)) < 0) {
				fprintf(stderr, "e2e-load: encode: %s\n", diag);
				return 1;
			}
			json_decref(body);
			rq.body = cbor;
			rq.body_len = len;
		}
		t = now();
		rv = chan_request(c, &rq, &resp, 15000, err, sizeof(err));
		lat[i] = (now() - t) * 1000;
		free(cbor);
		if (rv < 0) {
			fprintf(stderr, "e2e-load: mid %ld: %s\n", mid + i, err);
			break;
		}
		if (resp.code / 100 == 2)
			nok++;
		else if (nbad++ < 5)
			fprintf(stderr, "e2e-load: mid %ld: %d %s\n", mid + i,
			    resp.code, resp.diag);
		resp_clear(&resp);
	}
	t = now() - t0;
	qsort(lat, i, sizeof(*lat), cmp_double);
	printf("done %ld ok %ld secs %.2f rate %.0f p50_ms %.2f p99_ms %.2f\n",
	    i, nok, t, i / t, i ? lat[i / 2] : 0, i ? lat[i * 99 / 100] : 0);
	chan_close(c);
	opts_free(&o);
	free(lat);
	return nok == count ? 0 : 1;
}
