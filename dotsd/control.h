/*
 * control.h: the dotsctl control socket (AF_UNIX, JSON lines) and the
 * Prometheus metrics endpoint. Owner: config/authz/control.
 */
#ifndef DOTSD_CONTROL_H
#define DOTSD_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "dotsd/conf.h"

int	control_init(const char *path, char *err, size_t errlen);
void	control_fini(void);
int	control_pollfds(struct pollfd *pfd, int max);
void	control_process(const struct pollfd *pfd, int n);
/* Addition: the configuration "show clients" reports (again after reload). */
void	control_set_conf(const struct dotsd_conf *conf);

int	metrics_init(const char *addr, uint16_t port, char *err, size_t errlen);
void	metrics_fini(void);
int	metrics_pollfds(struct pollfd *pfd, int max);
void	metrics_process(const struct pollfd *pfd, int n);
/* Addition: the exposition text metrics serves; malloc'ed, NULL on OOM. */
char	*metrics_render(size_t *len);

/* received.c: received flowspec rules for dotsctl and Prometheus */
struct json_t;
struct json_t *received_json(void);
struct json_t *received_ignored_json(void);
void	received_metrics(FILE *f);

/* Counters the signal channel bumps; exported by metrics and dotsctl. */
struct dotsd_counters {
	uint64_t	requests;		/* CoAP requests handled */
	uint64_t	responses_2xx, responses_4xx, responses_5xx;
	uint64_t	handshakes_ok, handshakes_failed;
	uint64_t	heartbeats_rx, heartbeats_tx;
	uint64_t	sessions_lost;
	uint64_t	notifications;
};
extern struct dotsd_counters dotsd_counters;

#endif
