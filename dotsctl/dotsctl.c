/*
 * dotsctl: the operator's view into a running dotsd, over its control
 * socket (dotsd/control.c): one JSON request line out, one JSON reply line
 * back, shown as a table or, with -j, as the JSON itself. See dotsctl(8).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define DOTSCTL_SOCKET	"/run/dotsd.sock"
#define DOTSCTL_TIMEOUT	10000		/* ms for the whole reply */
#define DOTSCTL_MAX	(64 << 20)

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* dotsd refused, or reconcile found differences */
	EXIT_USAGE = 2,
	EXIT_NOCONN = 3,	/* no dotsd, or no sensible reply */
};

static const char *const mit_cols[] = {
	"client", "cuid", "mid", "status", "remaining", "targets", "enforced",
	"conflict", NULL
};
static const char *const recv_cols[] = {
	"key", "from", "peers", "match", "action", "pkts-dropped",
	"bytes-dropped", "pkts-passed", "bytes-passed", NULL
};
static const char *const sess_cols[] = {
	"client", "peer", "transport", "since", "last-rx", "missed-hb", "lost",
	NULL
};
static const char *const client_cols[] = {
	"name", "identity-kind", "identity", "prefixes", "sessions",
	"mitigations", "max-mitigations", "mitigate-with", NULL
};

static const char *const acl_cols[] = {
	"client", "cuid", "acl", "ace", "activation", "active", "pkts",
	"bytes", NULL
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: dotsctl [-j] [-s socket] command\n"
	    "commands:\n"
	    "  show mitigations | sessions | clients | counters | received | acls\n"
	    "  reconcile\n"
	    "  withdraw CLIENT MID\n"
	    "  log verbose N\n");
	exit(EXIT_USAGE);
}

/* The request for argv, or NULL if argv is no command. */
static json_t *
build_request(int argc, char **argv)
{
	char	*end, cmd[64];
	long long v;

	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    (strcmp(argv[1], "mitigations") == 0 ||
	    strcmp(argv[1], "sessions") == 0 ||
	    strcmp(argv[1], "clients") == 0 ||
	    strcmp(argv[1], "counters") == 0 ||
	    strcmp(argv[1], "received") == 0 ||
	    strcmp(argv[1], "acls") == 0)) {
		snprintf(cmd, sizeof(cmd), "show %s", argv[1]);
		return json_pack("{s:s}", "command", cmd);
	}
	if (argc == 1 && strcmp(argv[0], "reconcile") == 0)
		return json_pack("{s:s}", "command", "reconcile");
	if (argc == 3 && strcmp(argv[0], "withdraw") == 0) {
		errno = 0;
		v = strtoll(argv[2], &end, 10);
		if (errno != 0 || *end != '\0' || argv[2][0] == '\0' || v < 0 ||
		    v > 4294967295LL)
			return NULL;
		return json_pack("{s:s, s:s, s:I}", "command", "withdraw",
		    "client", argv[1], "mid", (json_int_t)v);
	}
	if (argc == 3 && strcmp(argv[0], "log") == 0 &&
	    strcmp(argv[1], "verbose") == 0) {
		v = strtoll(argv[2], &end, 10);
		if (*end != '\0' || argv[2][0] == '\0' || v < 0 || v > 3)
			return NULL;
		return json_pack("{s:s, s:I}", "command", "log verbose",
		    "level", (json_int_t)v);
	}
	return NULL;
}

/* Sends req, returns the reply line (malloc'ed) or NULL with a message. */
static char *
exchange(const char *path, const json_t *req)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char	*line, *buf = NULL, *nbuf;
	size_t	 len = 0, cap = 0, off, sent;
	ssize_t	 n;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "dotsctl: socket path too long\n");
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "dotsctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((line = json_dumps(req, JSON_COMPACT)) == NULL)
		goto fail;
	len = strlen(line);
	line[len] = '\n';	/* json_dumps leaves room for the NUL */
	for (sent = 0; sent < len + 1; sent += (size_t)n)
		if ((n = send(fd, line + sent, len + 1 - sent,
		    MSG_NOSIGNAL)) < 0) {
			fprintf(stderr, "dotsctl: send: %s\n", strerror(errno));
			free(line);
			goto fail;
		}
	free(line);
	len = 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, DOTSCTL_TIMEOUT) <= 0) {
			fprintf(stderr, "dotsctl: no reply from dotsd\n");
			goto fail;
		}
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536 * 2;
			if (cap > DOTSCTL_MAX ||
			    (nbuf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "dotsctl: reply too large\n");
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			fprintf(stderr, "dotsctl: connection closed early\n");
			goto fail;
		}
		off = len;
		len += (size_t)n;
		if (memchr(buf + off, '\n', (size_t)n) != NULL)
			break;
	}
	*(char *)memchr(buf, '\n', len) = '\0';
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* A cell: scalars as text, arrays of scalars joined with ','. */
static char *
cell(const json_t *v)
{
	char	*s = NULL, *item;
	size_t	 i, len = 0;
	FILE	*f;
	json_t	*e;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0)
			return NULL;
		return s;
	case JSON_REAL:
		if (asprintf(&s, "%g", json_real_value(v)) < 0)
			return NULL;
		return s;
	case JSON_TRUE:
		return strdup("yes");
	case JSON_FALSE:
		return strdup("no");
	case JSON_NULL:
		return strdup("-");
	case JSON_ARRAY:
		if ((f = open_memstream(&s, &len)) == NULL)
			return NULL;
		json_array_foreach(v, i, e) {
			if ((item = cell(e)) == NULL)
				continue;
			fprintf(f, "%s%s", i ? "," : "", item);
			free(item);
		}
		if (json_array_size(v) == 0)
			fputs("-", f);
		fclose(f);
		return s;
	default:
		return json_dumps(v, JSON_COMPACT);
	}
}

/* Array of objects as columns cols (those that occur), left-aligned. */
static void
print_table(const json_t *rows, const char *const *cols, const char *what)
{
	size_t	 ncols = 0, i, c, width[16] = { 0 }, n = json_array_size(rows);
	int	 used[16] = { 0 };
	char	*text;
	json_t	*row;

	if (n == 0) {
		printf("no %s\n", what);
		return;
	}
	while (cols[ncols] != NULL && ncols < 16)
		ncols++;
	for (c = 0; c < ncols; c++) {
		width[c] = strlen(cols[c]);
		json_array_foreach(rows, i, row) {
			if (json_object_get(row, cols[c]) == NULL)
				continue;
			used[c] = 1;
			if ((text = cell(json_object_get(row, cols[c]))) &&
			    strlen(text) > width[c])
				width[c] = strlen(text);
			free(text);
		}
	}
	for (c = 0; c < ncols; c++)
		if (used[c])
			printf("%-*s  ", (int)width[c], cols[c]);
	putchar('\n');
	json_array_foreach(rows, i, row) {
		for (c = 0; c < ncols; c++) {
			if (!used[c])
				continue;
			text = json_object_get(row, cols[c]) ?
			    cell(json_object_get(row, cols[c])) : NULL;
			printf("%-*s  ", (int)width[c], text ? text : "-");
			free(text);
		}
		putchar('\n');
	}
}

static void
print_object(json_t *obj)
{
	const char *key;
	json_t	*v;
	char	*text;

	json_object_foreach(obj, key, v) {
		text = cell(v);
		printf("%-20s %s\n", key, text ? text : "?");
		free(text);
	}
}

static int
print_human(const char *cmd, json_t *result)
{
	const char *report;
	int	 n;

	if (strcmp(cmd, "show mitigations") == 0)
		print_table(result, mit_cols, "mitigations");
	else if (strcmp(cmd, "show sessions") == 0)
		print_table(result, sess_cols, "sessions");
	else if (strcmp(cmd, "show clients") == 0)
		print_table(result, client_cols, "clients");
	else if (strcmp(cmd, "show acls") == 0)
		print_table(result, acl_cols, "acls");
	else if (strcmp(cmd, "show counters") == 0)
		print_object(result);
	else if (strcmp(cmd, "show received") == 0) {
		print_table(json_object_get(result, "rules"), recv_cols,
		    "received rules");
		printf("not enforced:\n");
		print_object(json_object_get(result, "ignored"));
	}
	else if (strcmp(cmd, "reconcile") == 0) {
		n = (int)json_integer_value(json_object_get(result,
		    "differences"));
		report = json_string_value(json_object_get(result, "report"));
		if (n == 0)
			printf("backends consistent with the mitigations\n");
		else
			printf("%d difference%s\n%s\n", n, n == 1 ? "" : "s",
			    report ? report : "");
		return n == 0 ? EXIT_OK : EXIT_FAILED;
	} else if (strcmp(cmd, "withdraw") == 0)
		printf("withdrew mitigation %lld of client %s\n",
		    (long long)json_integer_value(json_object_get(result,
		    "mid")), json_string_value(json_object_get(result,
		    "client")));
	else if (strcmp(cmd, "log verbose") == 0)
		printf("log verbosity %lld\n", (long long)json_integer_value(
		    json_object_get(result, "level")));
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "socket",	required_argument,	NULL, 's' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *path = DOTSCTL_SOCKET, *cmd;
	json_t	*req, *rep, *result;
	json_error_t jerr;
	char	*line;
	int	 ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "js:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if ((req = build_request(argc - optind, argv + optind)) == NULL)
		usage();
	cmd = json_string_value(json_object_get(req, "command"));
	if ((line = exchange(path, req)) == NULL) {
		json_decref(req);
		return EXIT_NOCONN;
	}
	rep = json_loads(line, 0, &jerr);
	if (rep == NULL || !json_is_object(rep)) {
		fprintf(stderr, "dotsctl: bad reply from dotsd: %s\n",
		    rep ? "not an object" : jerr.text);
		rc = EXIT_NOCONN;
	} else if (!json_is_true(json_object_get(rep, "ok"))) {
		fprintf(stderr, "dotsctl: %s\n", json_string_value(
		    json_object_get(rep, "error")) ?: "failed");
		if (json)
			printf("%s\n", line);
		rc = EXIT_FAILED;
	} else if (json) {
		printf("%s\n", line);
		result = json_object_get(rep, "result");
		rc = strcmp(cmd, "reconcile") == 0 && json_integer_value(
		    json_object_get(result, "differences")) != 0 ?
		    EXIT_FAILED : EXIT_OK;
	} else
		rc = print_human(cmd, json_object_get(rep, "result"));
	free(line);
	json_decref(rep);
	json_decref(req);
	return rc;
}
