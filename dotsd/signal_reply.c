/*
 * signal_reply.c: how the signal channel answers: response codes and
 * their counters, text diagnostics for errors, application/dots+cbor
 * bodies with ETag, and Block2 for representations too large for one
 * message (RFC 7252, RFC 7959, RFC 9132 §4.4.2).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/control.h"
#include "dotsd/signal_int.h"
#include "lib/log.h"
#include "yang/codec.h"

/* FNV-1a: ETags for dynamic representations (RFC 7252 §5.10.6). */
static uint64_t
etag_of(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

void
sigreply_count(int code)
{
	if (code >= 200 && code < 300)
		dotsd_counters.responses_2xx++;
	else if (code >= 400 && code < 500)
		dotsd_counters.responses_4xx++;
	else if (code >= 500)
		dotsd_counters.responses_5xx++;
}

coap_pdu_code_t
sigreply_code(int code)
{
	return (coap_pdu_code_t)COAP_RESPONSE_CODE(code);
}

/* 4.xx/5.xx carry a text diagnostic payload (RFC 7252 §5.5.2). */
void
sigreply_diag(coap_pdu_t *resp, int code, const char *fmt, ...)
{
	char diag[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(diag, sizeof(diag), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(diag))
		n = sizeof(diag) - 1;
	coap_pdu_set_code(resp, sigreply_code(code));
	if (n > 0)
		coap_add_data(resp, (size_t)n, (const uint8_t *)diag);
	sigreply_count(code);
}

/* The largest block size exponent whose block fits a message of cs. */
static unsigned
block_szx(coap_session_t *cs)
{
	size_t room = coap_session_max_pdu_size(cs);
	unsigned szx = 6;	/* 1024 bytes; BERT (7) is not used */

	while (szx > 0 && (16U << szx) + 64 > room)
		szx--;
	return szx;
}

/*
 * Adds block num (size 16 << szx) of a representation, with ETag and Size2
 * (RFC 7959 §2.2, §4). The blocks are cut from the representation of this
 * moment, so a client sees a changed ETag rather than stale blocks.
 */
static void
add_block(coap_pdu_t *pdu, const uint8_t *buf, size_t len, unsigned num,
    unsigned szx)
{
	uint8_t ob[8];
	size_t bsize = 16U << szx;
	unsigned more = (size_t)(num + 1) * bsize < len;

	coap_add_option(pdu, COAP_OPTION_ETAG,
	    coap_encode_var_safe8(ob, sizeof(ob), etag_of(buf, len)), ob);
	coap_add_option(pdu, COAP_OPTION_BLOCK2,
	    coap_encode_var_safe(ob, sizeof(ob), num << 4 | more << 3 | szx),
	    ob);
	coap_add_option(pdu, COAP_OPTION_SIZE2,
	    coap_encode_var_safe(ob, sizeof(ob), (unsigned)len), ob);
	coap_add_block(pdu, len, buf, num, (unsigned char)szx);
}

/*
 * A representation too large for one message goes out as its first
 * block; the client GETs the rest (RFC 7959 §2.6, RFC 9132 §4.4.2.1).
 */
void
sigreply_payload(coap_session_t *cs, coap_pdu_t *pdu, const uint8_t *buf,
    size_t len)
{
	if (len + 64 <= coap_session_max_pdu_size(cs))
		coap_add_data(pdu, len, buf);
	else
		add_block(pdu, buf, len, 0, block_szx(cs));
}

/*
 * Encodes body as application/dots+cbor into resp; Block2 when asked for
 * or when it does not fit. observe >= 0 adds the option. 2.05 bodies are
 * dynamic and carry an ETag (RFC 9132 §4.4.2).
 */
void
sigreply_body(coap_session_t *cs, const coap_pdu_t *req, coap_pdu_t *resp,
    const coap_string_t *query, int code, const json_t *body, int max_age,
    int64_t observe)
{
	char diag[CODEC_DIAG_LEN];
	uint8_t *buf = NULL, ob[8];
	coap_block_b_t blk;
	size_t len = 0;
	unsigned szx;

	(void)query;
	if (codec_cbor_encode(body, &buf, &len, diag, sizeof(diag)) != 0) {
		log_warnx("cannot encode %d reply: %s", code, diag);
		sigreply_diag(resp, 500, "cannot encode reply: %s", diag);
		return;
	}
	memset(&blk, 0, sizeof(blk));
	if (code == 205 && coap_get_block_b(cs, req, COAP_OPTION_BLOCK2,
	    &blk)) {
		szx = blk.szx > 6 ? 6 : blk.szx;
		if (szx > block_szx(cs))
			szx = block_szx(cs);
		/* RFC 7959 §2.2: a block past the end is an error. */
		if (blk.num > 0 && ((size_t)blk.num << (szx + 4)) >= len) {
			free(buf);
			sigreply_diag(resp, 402, "Block2 %u beyond the "
			    "%zu-byte representation", blk.num, len);
			return;
		}
	} else
		szx = block_szx(cs);
	coap_pdu_set_code(resp, sigreply_code(code));
	/* RFC 7641 §4.4: only the first block carries Observe. */
	if (observe >= 0 && blk.num == 0)
		coap_add_option(resp, COAP_OPTION_OBSERVE,
		    coap_encode_var_safe(ob, sizeof(ob),
		    (unsigned)observe & 0xffffff), ob);
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(ob, sizeof(ob), CF_DOTS_CBOR), ob);
	if (max_age >= 0)
		coap_add_option(resp, COAP_OPTION_MAXAGE,
		    coap_encode_var_safe(ob, sizeof(ob), (unsigned)max_age),
		    ob);
	if (code == 205 && (blk.defined || len + 64 >
	    coap_session_max_pdu_size(cs)))
		add_block(resp, buf, len, blk.num, szx);
	else {
		if (code == 205)
			coap_add_option(resp, COAP_OPTION_ETAG,
			    coap_encode_var_safe8(ob, sizeof(ob),
			    etag_of(buf, len)), ob);
		coap_add_data(resp, len, buf);
	}
	free(buf);
	sigreply_count(code);
}
