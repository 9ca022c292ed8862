/*
 * validate.c: wire JSON -> libyang 2.1 validation against the sx:structure
 * dots-signal of ietf-dots-signal-channel (+ RFC 9133 signal-control, RFC
 * 9066 call-home and, if it loads, RFC 9244 telemetry augments).
 *
 * libyang 2.1.30 needs three workarounds (yang/modules/README.md):
 *  - the published signal-channel/signal-control/data-channel modules do
 *    not compile or reject RFC examples: the libyang-compat copies are
 *    parsed before anything imports them (P1-P4);
 *  - the wire wrappers (mitigation-scope, signal-config, ...) are YANG case
 *    names, invisible in JSON: they are dropped and their children
 *    module-qualified (P8);
 *  - lyd_parse_ext_data() loops forever on several top-level siblings
 *    unless given LYD_PARSE_ORDERED and members in schema order (P7). The
 *    reshaping below therefore rebuilds every object by walking the
 *    schema, so the order libyang sees never depends on the input.
 * libyang messages are stored per context (never printed) and the first
 * error goes into diag.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "yang/codec.h"

static struct ly_ctx			*yctx;
static const struct lysc_ext_instance	*dots_signal;

/* Parsed first so that every later import resolves to them (P1-P4). */
static const char *const compat_modules[] = {
	"ietf-dots-data-channel@2020-05-28.yang",
	"ietf-dots-signal-channel@2021-09-02.yang",
	"ietf-dots-signal-control@2021-09-02.yang",
};

/* Implemented with every feature (P6: identityrefs behind if-feature). */
static const char *const required_modules[] = {
	"ietf-access-control-list",
	"ietf-dots-data-channel",
	"ietf-dots-signal-channel",
	"ietf-dots-signal-control",
};

#define SIGNAL_MOD	"ietf-dots-signal-channel"
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Makes libyang store its messages in the context instead of printing
 * them; returns the options to restore. Global, not per thread: in 2.1.30
 * ly_temp_log_options() does not cover schema compilation warnings. The
 * codec is called from one thread.
 */
static uint32_t
ly_quiet(void)
{
	return ly_log_options(LY_LOSTORE);
}

/* First stored libyang error of ctx (with its path) into buf; clears. */
static void
ly_first_error(const struct ly_ctx *ctx, char *buf, size_t len)
{
	const struct ly_err_item *e;

	if (buf == NULL || len == 0)
		return;
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

static const struct lysc_ext_instance *
find_structure(const struct lys_module *mod, const char *name)
{
	LY_ARRAY_COUNT_TYPE	u;

	if (mod == NULL || mod->compiled == NULL)
		return NULL;
	LY_ARRAY_FOR(mod->compiled->exts, u) {
		const struct lysc_ext_instance *e = &mod->compiled->exts[u];

		if (strcmp(e->def->name, "structure") == 0 &&
		    e->argument != NULL && strcmp(e->argument, name) == 0)
			return e;
	}
	return NULL;
}

static bool
dir_has(const char *dir, const char *file)
{
	char		path[PATH_MAX];
	struct stat	st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return false;
	return stat(path, &st) == 0;
}

/* A file every usable module directory has (it is parsed first). */
static const char yang_marker[] =
    "libyang-compat/ietf-dots-signal-channel@2021-09-02.yang";

/*
 * The source tree's yang/modules seen from the executable: a build tree
 * keeps binaries in .output/bin, .output/tests, .output/fuzz (two levels
 * down) or .output/tests/bench (three). Fills buf; false if none has the
 * modules.
 */
static bool
build_tree_dir(char *buf, size_t len)
{
	static const char *const up[] = { "/../..", "/../../.." };
	char	exe[PATH_MAX], *slash;
	ssize_t	n;
	size_t	i;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return false;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return false;
	*slash = '\0';
	for (i = 0; i < NELEM(up); i++) {
		if ((size_t)snprintf(buf, len, "%s%s/yang/modules", exe,
		    up[i]) < len && dir_has(buf, yang_marker))
			return true;
	}
	return false;
}

const char *
codec_yang_default_dir(void)
{
	static char	tree[PATH_MAX];

	if (dir_has(CODEC_YANG_DIR, yang_marker))
		return CODEC_YANG_DIR;
	if (build_tree_dir(tree, sizeof(tree)))
		return tree;
#ifdef DOTSD_SRCDIR
	/* fuzzers, which may run from anywhere */
	if (dir_has(DOTSD_SRCDIR "/yang/modules", yang_marker))
		return DOTSD_SRCDIR "/yang/modules";
#endif
	return NULL;
}

/* Says what is missing and how to get it; -ENOENT. */
static int
no_modules(const char *dir, char *err, size_t errlen)
{
	if (err == NULL)
		return -ENOENT;
	if (dir == NULL)
		snprintf(err, errlen, "no YANG modules: none installed in "
		    "%s and no build tree around the executable; run 'make "
		    "install', or point yang-dir in dotsd.conf at the source "
		    "tree's yang/modules", CODEC_YANG_DIR);
	else
		snprintf(err, errlen, "yang-dir %s: no DOTS YANG modules "
		    "there; point it at the source tree's yang/modules, or "
		    "run 'make install' and drop yang-dir", dir);
	return -ENOENT;
}

void
codec_yang_fini(void)
{
	if (yctx != NULL)
		ly_ctx_destroy(yctx);
	yctx = NULL;
	dots_signal = NULL;
}

/*
 * A new libyang context with the DOTS modules from dir: the compat copies
 * first, then the required modules implemented with every feature.
 * Logging is the caller's (ly_quiet or ly_temp_log_options). 0 or -errno
 * with err; *out is NULL on failure.
 */
int
codec_yang_ctx_new(const char *dir, struct ly_ctx **out, char *err,
    size_t errlen)
{
	static const char *allfeat[] = { "*", NULL };
	char		 path[PATH_MAX];
	size_t		 i;

	*out = NULL;
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD |
	    LY_CTX_NO_YANGLIBRARY, out) != LY_SUCCESS) {
		if (err != NULL)
			snprintf(err, errlen, "%s: cannot create a libyang "
			    "context", dir);
		*out = NULL;
		return -ENOENT;
	}
	for (i = 0; i < NELEM(compat_modules); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/libyang-compat/%s",
		    dir, compat_modules[i]) >= sizeof(path)) {
			ly_ctx_destroy(*out);
			*out = NULL;
			return no_modules(dir, err, errlen);
		}
		if (lys_parse_path(*out, path, LYS_IN_YANG, NULL) !=
		    LY_SUCCESS)
			goto fail;
	}
	for (i = 0; i < NELEM(required_modules); i++)
		if (ly_ctx_load_module(*out, required_modules[i], NULL,
		    allfeat) == NULL)
			goto fail;
	return 0;
 fail:
	ly_first_error(*out, err, errlen);
	ly_ctx_destroy(*out);
	*out = NULL;
	return -EINVAL;
}

int
codec_yang_init(const char *dir, char *err, size_t errlen)
{
	static const char *allfeat[] = { "*", NULL };
	uint32_t	 saved;
	int		 r = 0;

	codec_yang_fini();
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (dir == NULL && (dir = codec_yang_default_dir()) == NULL)
		return no_modules(NULL, err, errlen);
	if (!dir_has(dir, yang_marker))
		return no_modules(dir, err, errlen);
	saved = ly_quiet();
	if ((r = codec_yang_ctx_new(dir, &yctx, err, errlen)) != 0)
		goto out;
	/* RFC 9244 telemetry is optional; its augments are accepted if it
	 * loads, and the codec drops its keys otherwise. */
	if (ly_ctx_load_module(yctx, "ietf-dots-telemetry", NULL,
	    allfeat) == NULL)
		ly_err_clean(yctx, NULL);
	/* RFC 9066 source attributes of a request: enforced by dotsd. */
	if (ly_ctx_load_module(yctx, "ietf-dots-call-home", NULL,
	    allfeat) == NULL) {
		ly_first_error(yctx, err, errlen);
		r = -EINVAL;
		goto out;
	}
	dots_signal = find_structure(ly_ctx_get_module_implemented(yctx,
	    SIGNAL_MOD), "dots-signal");
	if (dots_signal == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s: no sx:structure "
			    "dots-signal", SIGNAL_MOD);
		r = -EINVAL;
	}
 out:
	if (yctx != NULL)
		ly_err_clean(yctx, NULL);
	ly_log_options(saved);
	if (r != 0)
		codec_yang_fini();
	return r;
}

struct ly_ctx *
codec_yang_ctx(void)
{
	return yctx;
}

/* ---- reshaping (P7, P8) ------------------------------------------------ */

struct reshape {
	char	*diag;
	size_t	 diaglen;
	int	 depth;
};

static int
rs_fail(struct reshape *rs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rs_fail(struct reshape *rs, const char *fmt, ...)
{
	va_list	ap;

	if (rs->diag != NULL && rs->diaglen > 0) {
		va_start(ap, fmt);
		vsnprintf(rs->diag, rs->diaglen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Schema children of parent (or of the structure when parent is NULL). */
static const struct lysc_node *
rs_next(const struct lysc_node *last, const struct lysc_node *parent)
{
	if (parent == NULL)
		return lys_getnext_ext(last, NULL, dots_signal, 0);
	return lys_getnext(last, parent, NULL, 0);
}

/*
 * Whether JSON member `name` in an object whose schema module is ctxmod
 * denotes schema node s. RFC 7951 §4: a member is qualified exactly when
 * its module differs from its parent's. Directly under the wire wrapper
 * (top) both forms pass: the wrapper is a case, so in YANG terms its
 * children are top-level and qualified, while the RFC examples write
 * them plain.
 */
static bool
rs_match(const char *name, const struct lysc_node *s,
    const struct lys_module *ctxmod, bool top)
{
	size_t	ml = strlen(s->module->name);

	if ((top || s->module != ctxmod) &&
	    strncmp(name, s->module->name, ml) == 0 && name[ml] == ':')
		return strcmp(name + ml + 1, s->name) == 0;
	return s->module == ctxmod && strcmp(name, s->name) == 0;
}

/* The message-type case a top-level structure node belongs to ("scope" ->
 * "mitigation-scope", "alt-server" -> "redirected-signal"): the case whose
 * choice sits at the root of the structure. */
static const char *
rs_case(const struct lysc_node *s)
{
	for (; s != NULL; s = s->parent)
		if (s->nodetype == LYS_CASE && s->parent != NULL &&
		    s->parent->parent == NULL)
			return s->name;
	return NULL;
}

static int	rs_object(struct reshape *, const json_t *,
		    const struct lysc_node *, const struct lys_module *,
		    const char *, json_t *);

static int
rs_value(struct reshape *rs, const struct lysc_node *s, const json_t *v,
    json_t **out)
{
	const json_t	*el;
	json_t		*o;
	size_t		 i;
	int		 r;

	if (s->nodetype == LYS_CONTAINER && json_is_object(v)) {
		if ((*out = json_object()) == NULL)
			return -ENOMEM;
		r = rs_object(rs, v, s, s->module, NULL, *out);
	} else if (s->nodetype == LYS_LIST && json_is_array(v)) {
		if ((*out = json_array()) == NULL)
			return -ENOMEM;
		r = 0;
		json_array_foreach(v, i, el) {
			if (!json_is_object(el)) {
				r = rs_fail(rs, "%s: list entry is not an "
				    "object", s->name);
				break;
			}
			if ((o = json_object()) == NULL ||
			    json_array_append_new(*out, o) != 0) {
				r = -ENOMEM;
				break;
			}
			if ((r = rs_object(rs, el, s, s->module, NULL,
			    o)) != 0)
				break;
		}
	} else {
		/* Leaves, and wrong JSON types that libyang will name. */
		*out = json_deep_copy(v);
		return *out ? 0 : -ENOMEM;
	}
	if (r != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/*
 * Rebuilds object `in` (schema parent `parent`, NULL = the structure) into
 * `out` with members in schema order. At the structure level only nodes of
 * case `wcase` are allowed and every name is module-qualified.
 */
static int
rs_object(struct reshape *rs, const json_t *in, const struct lysc_node *parent,
    const struct lys_module *ctxmod, const char *wcase, json_t *out)
{
	const struct lysc_node	*s;
	const char		*name;
	json_t			*v, *nv;
	char			 qname[256];
	bool			 found;
	int			 r;

	if (++rs->depth > CODEC_MAX_DEPTH)
		return rs_fail(rs, "JSON nesting deeper than %d",
		    CODEC_MAX_DEPTH);
	/* Every member must name a schema node here. */
	json_object_foreach((json_t *)(uintptr_t)in, name, v) {
		found = false;
		for (s = rs_next(NULL, parent); s && !found;
		    s = rs_next(s, parent))
			found = rs_match(name, s, ctxmod, parent == NULL) && (wcase == NULL ||
			    (rs_case(s) && strcmp(rs_case(s), wcase) == 0));
		if (!found)
			return rs_fail(rs, "unknown member \"%.64s\" in %s",
			    name, parent ? parent->name :
			    wcase ? wcase : "body");
	}
	/* Emit in schema order (P7). */
	for (s = rs_next(NULL, parent); s; s = rs_next(s, parent)) {
		v = NULL;
		json_object_foreach((json_t *)(uintptr_t)in, name, v)
			if (rs_match(name, s, ctxmod, parent == NULL))
				break;
		if (v == NULL || name == NULL)
			continue;
		if (wcase != NULL && (rs_case(s) == NULL ||
		    strcmp(rs_case(s), wcase) != 0))
			continue;
		if ((r = rs_value(rs, s, v, &nv)) != 0)
			return r;
		if (parent == NULL || s->module != ctxmod)
			snprintf(qname, sizeof(qname), "%s:%s",
			    s->module->name, s->name);
		else
			snprintf(qname, sizeof(qname), "%s", s->name);
		if (json_object_set_new(out, qname, nv) != 0)
			return -ENOMEM;
	}
	rs->depth--;
	return 0;
}

/*
 * P8: {"ietf-dots-signal-channel:W": {members}} -> the members of case W,
 * module-qualified, in schema order. Returns a new tree or NULL (diag).
 */
static int
reshape(const json_t *wire, json_t **out, char *diag, size_t diaglen)
{
	struct reshape	 rs = { .diag = diag, .diaglen = diaglen };
	const char	*name, *wcase;
	json_t		*body;
	size_t		 ml = strlen(SIGNAL_MOD);
	int		 r;

	*out = NULL;
	if (!json_is_object(wire) || json_object_size(wire) != 1)
		return rs_fail(&rs, "body must hold exactly one of "
		    "mitigation-scope, signal-config, redirected-signal, "
		    "heartbeat");
	json_object_foreach((json_t *)(uintptr_t)wire, name, body)
		break;
	if (strncmp(name, SIGNAL_MOD, ml) != 0 || name[ml] != ':')
		return rs_fail(&rs, "unknown member \"%.64s\"", name);
	wcase = name + ml + 1;
	if (strcmp(wcase, "mitigation-scope") != 0 &&
	    strcmp(wcase, "signal-config") != 0 &&
	    strcmp(wcase, "redirected-signal") != 0 &&
	    strcmp(wcase, "heartbeat") != 0)
		return rs_fail(&rs, "unknown member \"%.64s\"", name);
	if (!json_is_object(body))
		return rs_fail(&rs, "%s is not an object", wcase);
	if ((*out = json_object()) == NULL)
		return -ENOMEM;
	r = rs_object(&rs, body, NULL,
	    ly_ctx_get_module_implemented(yctx, SIGNAL_MOD), wcase, *out);
	if (r != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

int
codec_yang_reshape(const json_t *wire, json_t **out, char *diag,
    size_t diaglen)
{
	if (dots_signal == NULL)
		return -ENOTCONN;
	return reshape(wire, out, diag, diaglen);
}

int
codec_yang_validate_signal(const json_t *wire, char *diag, size_t diaglen)
{
	struct ly_in	*in = NULL;
	struct lyd_node	*tree = NULL;
	json_t		*shaped;
	char		*text;
	uint32_t	 saved;
	int		 r;

	if (dots_signal == NULL) {
		if (diag != NULL && diaglen > 0)
			snprintf(diag, diaglen, "YANG modules not loaded");
		return -ENOTCONN;
	}
	if ((r = reshape(wire, &shaped, diag, diaglen)) != 0)
		return r;
	text = json_dumps(shaped, JSON_COMPACT);
	json_decref(shaped);
	if (text == NULL)
		return -ENOMEM;
	saved = ly_quiet();
	if (ly_in_new_memory(text, &in) != LY_SUCCESS) {
		r = -ENOMEM;
		goto out;
	}
	/* P7: LYD_PARSE_ORDERED, and reshape() emitted schema order. */
	if (lyd_parse_ext_data(dots_signal, NULL, in, LYD_JSON,
	    LYD_PARSE_STRICT | LYD_PARSE_ORDERED, LYD_VALIDATE_PRESENT,
	    &tree) != LY_SUCCESS) {
		ly_first_error(yctx, diag, diaglen);
		r = -EBADMSG;
	}
 out:
	lyd_free_all(tree);
	ly_in_free(in, 0);
	ly_err_clean(yctx, NULL);
	ly_log_options(saved);
	free(text);
	return r;
}
