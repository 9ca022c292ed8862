/*
 * http.c: RESTCONF over HTTPS for "dots-client data" (data.h), with
 * libcurl: TLS 1.2 or later, the server verified against --ca (name or
 * address of the URL), the client's certificate and key for RFC 8783 §8
 * mutual authentication. One request per run, as with the signal
 * channel commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dots-client/data.h"

#define DATA_MAX_REPLY	(8 * 1024 * 1024)	/* a GET of big ACLs */
#define YANG_JSON	"application/yang-data+json"

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct data_reply	*r = arg;
	size_t			 len = size * n;
	char			*nb;

	if (r->len + len > DATA_MAX_REPLY ||
	    (nb = realloc(r->body, r->len + len + 1)) == NULL)
		return 0;	/* curl fails the transfer */
	memcpy(nb + r->len, p, len);
	r->body = nb;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static int
setup(CURL *h, const struct data_opts *o, const char *url,
    const char *method, const char *body, struct curl_slist *hdrs,
    struct data_reply *r)
{
	long	tmo = (long)(o->timeout * 1000);

	return curl_easy_setopt(h, CURLOPT_URL, url) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) ||
	    curl_easy_setopt(h, CURLOPT_CAINFO, o->ca) ||
	    curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert) ||
	    curl_easy_setopt(h, CURLOPT_SSLKEY, o->key) ||
	    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) ||
	    (body != NULL && curl_easy_setopt(h, CURLOPT_POSTFIELDS, body)) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo > 0 ? tmo : 0L) ||
	    curl_easy_setopt(h, CURLOPT_VERBOSE, o->verbose > 1 ? 1L : 0L) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
}

int
data_http(const struct data_opts *o, const char *method, const char *path,
    const char *body, struct data_reply *r, char *err, size_t errlen)
{
	struct curl_slist	*hdrs = NULL;
	char			 url[4096], cerr[CURL_ERROR_SIZE] = "";
	CURL			*h;
	CURLcode		 rc;

	memset(r, 0, sizeof(*r));
	if ((size_t)snprintf(url, sizeof(url), "%s%s%s", o->server, DATA_ROOT,
	    path) >= sizeof(url)) {
		snprintf(err, errlen, "URL too long");
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	hdrs = curl_slist_append(hdrs, "Accept: " YANG_JSON);
	if (body != NULL)
		hdrs = curl_slist_append(hdrs, "Content-Type: " YANG_JSON);
	if (hdrs == NULL || setup(h, o, url, method, body, hdrs, r) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr)) {
		snprintf(err, errlen, "libcurl: cannot set up the request");
		rc = CURLE_FAILED_INIT;
	} else if ((rc = curl_easy_perform(h)) != CURLE_OK)
		snprintf(err, errlen, "%s: %s", url, cerr[0] ? cerr :
		    curl_easy_strerror(rc));
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	if (rc != CURLE_OK) {
		free(r->body);
		r->body = NULL;
		return -1;
	}
	if (r->body == NULL && (r->body = calloc(1, 1)) == NULL)
		return -1;
	return 0;
}
