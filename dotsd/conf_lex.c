/*
 * conf_lex.c: dotsd.conf lexer. Reads the whole file and cuts it into
 * statements: the words up to a newline, ';', '{', '}' or the end of the
 * file, with '#' comments and "quoted strings" (\" and \\ escapes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/conf_int.h"

int
conf_lex_open(struct lexer *lx, const char *file, char *why, size_t whylen)
{
	FILE	*f;
	char	*nbuf;
	size_t	 cap = 0, n;
	int	 err = 0;

	memset(lx, 0, sizeof(*lx));
	lx->file = file;
	lx->line = 1;
	if ((f = fopen(file, "r")) == NULL) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	/* Grow as needed: the file may be a pipe with no size. */
	for (;;) {
		if (cap - lx->len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if ((nbuf = realloc(lx->buf, cap + 1)) == NULL) {
				snprintf(why, whylen, "out of memory");
				err = -ENOMEM;
				goto out;
			}
			lx->buf = nbuf;
		}
		n = fread(lx->buf + lx->len, 1, cap - lx->len, f);
		lx->len += n;
		if (lx->len > CONF_MAX_FILE) {
			snprintf(why, whylen, "file larger than %d bytes",
			    CONF_MAX_FILE);
			err = -EINVAL;
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "read error");
		err = -EIO;
		goto out;
	}
	lx->buf[lx->len] = '\0';
	if (memchr(lx->buf, '\0', lx->len) != NULL) {
		snprintf(why, whylen, "NUL byte in file");
		err = -EINVAL;
		goto out;
	}
	/* Token texts and their NULs never outgrow the source text. */
	if ((lx->store = malloc(lx->len + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		err = -ENOMEM;
	}
out:
	fclose(f);
	if (err != 0) {
		free(lx->buf);
		free(lx->store);
		lx->buf = lx->store = NULL;
	}
	return err;
}

void
conf_lex_close(struct lexer *lx)
{
	free(lx->buf);
	free(lx->store);
}

static int
is_special(int c)
{
	return c == '{' || c == '}' || c == ';' || c == '#' || c == '"' ||
	    c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\0';
}

/*
 * Reads the next statement: the tokens up to a newline, ';', '{', '}' or
 * the end of the file. Empty statements ended by a newline are skipped.
 */
int
conf_lex_stmt(struct parser *p, struct lexer *lx, struct stmt *st)
{
	char	*out = lx->store;
	int	 c;

	st->ntok = 0;
	st->line = lx->line;
	for (;;) {
		c = (unsigned char)lx->buf[lx->pos];
		if (c == '\0') {
			st->term = TERM_EOF;
			return 0;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			while (lx->buf[lx->pos] != '\n' &&
			    lx->buf[lx->pos] != '\0')
				lx->pos++;
			continue;
		}
		if (c == '\n' || c == ';') {
			lx->pos++;
			if (c == '\n')
				lx->line++;
			if (st->ntok == 0) {
				st->line = lx->line;
				continue;
			}
			st->term = TERM_NL;
			return 0;
		}
		if (c == '{' || c == '}') {
			lx->pos++;
			st->term = c == '{' ? TERM_OPEN : TERM_CLOSE;
			if (st->ntok == 0)
				st->line = lx->line;
			return 0;
		}
		if (st->ntok == CONF_MAX_TOKENS)
			return conf_perr(p, lx->line, "too many words in statement");
		if (st->ntok == 0)
			st->line = lx->line;
		st->tok[st->ntok].s = out;
		st->tok[st->ntok].quoted = c == '"';
		if (c == '"') {
			lx->pos++;
			for (;;) {
				c = (unsigned char)lx->buf[lx->pos];
				if (c == '\0' || c == '\n')
					return conf_perr(p, lx->line,
					    "unterminated quoted string");
				lx->pos++;
				if (c == '"')
					break;
				if (c == '\\' && (lx->buf[lx->pos] == '"' ||
				    lx->buf[lx->pos] == '\\'))
					c = (unsigned char)lx->buf[lx->pos++];
				*out++ = c;
			}
		} else {
			while (!is_special((unsigned char)lx->buf[lx->pos]))
				*out++ = lx->buf[lx->pos++];
		}
		*out++ = '\0';
		st->ntok++;
	}
}
