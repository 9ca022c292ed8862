/*
 * validate_data.c: RFC 8783 data-channel bodies against the YANG modules
 * (codec.h codec_yang_validate_data). The data channel builds the whole
 * datastore path around a RESTCONF body (RFC 8040 §4.4, §4.5) and
 * validates it here as configuration data: LYD_PARSE_NO_STATE refuses
 * read-only nodes (pending-lifetime, statistics) in a request, STRICT
 * refuses unknown ones.
 *
 * Called from the data channel's own thread with a context of its own;
 * ly_temp_log_options() keeps libyang's messages stored per thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libyang/libyang.h>

#include "yang/codec.h"

static void
first_error(const struct ly_ctx *ctx, char *buf, size_t len)
{
	const struct ly_err_item *e;

	for (e = ly_err_first(ctx); e != NULL; e = e->next)
		if (e->level == LY_LLERR)
			break;
	if (e == NULL)
		snprintf(buf, len, "libyang: validation failed");
	else if (e->path != NULL)
		snprintf(buf, len, "%s (%s)", e->msg, e->path);
	else
		snprintf(buf, len, "%s", e->msg);
}

int
codec_yang_validate_data(struct ly_ctx *ctx, const json_t *tree, char *diag,
    size_t diaglen)
{
	struct lyd_node	*data = NULL;
	uint32_t	 opts = LY_LOSTORE;
	char		*text;
	LY_ERR		 rc;

	if (ctx == NULL) {
		snprintf(diag, diaglen, "YANG modules not loaded");
		return -ENOTCONN;
	}
	if ((text = json_dumps(tree, JSON_COMPACT)) == NULL) {
		snprintf(diag, diaglen, "out of memory");
		return -ENOMEM;
	}
	ly_temp_log_options(&opts);
	rc = lyd_parse_data_mem(ctx, text, LYD_JSON, LYD_PARSE_STRICT |
	    LYD_PARSE_NO_STATE, LYD_VALIDATE_PRESENT, &data);
	if (rc != LY_SUCCESS)
		first_error(ctx, diag, diaglen);
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	ly_temp_log_options(NULL);
	lyd_free_all(data);
	free(text);
	return rc == LY_SUCCESS ? 0 : -EBADMSG;
}
