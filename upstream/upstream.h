/*
 * upstream.h: dotsd's upstream backend, a DOTS client to the transit
 * provider's DOTS server (recursive signaling, RFC 8811 §3.2.3, RFC 8903
 * §3.1). The engine drives it as the backend of an upstream escalation
 * slot (mitigation { flowspec-backend upstream } or rtbh-backend); it
 * turns each group it is given into one mitigation request with its own
 * cuid and reports the upstream's status and counters through stats().
 * It knows nothing of dotsd's own clients and sessions.
 */
#ifndef UPSTREAM_UPSTREAM_H
#define UPSTREAM_UPSTREAM_H

#include "mitigate/mitigate.h"

extern const struct mit_backend upstream_backend;

#endif
