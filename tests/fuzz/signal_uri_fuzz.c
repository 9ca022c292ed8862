/*
 * signal_uri_fuzz.c: the signal channel's Uri-Path parser on arbitrary
 * segments. Input: first byte = gateway flag, the rest split on '/' into
 * Uri-Path options (as a CoAP client may send them, NULs included).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dotsd/signal_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *segs[32];
	size_t lens[32], i, start;
	struct sig_path p;
	struct dots_uri u;
	char why[128];
	uint32_t sid;
	int n = 0, gateway, has_sid;

	if (size < 1)
		return 0;
	gateway = data[0] & 1;
	data++;
	size--;
	for (i = 0, start = 0; i <= size && n < 32; i++) {
		if (i == size || data[i] == '/') {
			segs[n] = (const char *)data + start;
			lens[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	if (sigpath_parse(&p, segs, lens, n, why, sizeof(why)) != 0)
		return 0;
	if (sigpath_mitigate(&p, gateway, &u, why, sizeof(why)) == 0) {
		/* What the parser accepts is well-formed. */
		if (u.cuid[0] == '\0' || strlen(u.cuid) >= sizeof(u.cuid) ||
		    (!gateway && u.cdid[0] != '\0'))
			__builtin_trap();
	}
	if (sigpath_config(&p, &has_sid, &sid, why, sizeof(why)) == 0 &&
	    !has_sid && sid != 0)
		__builtin_trap();
	return 0;
}
