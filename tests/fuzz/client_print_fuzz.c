/*
 * client_print_fuzz.c: libFuzzer target for what dots-client does with a
 * server's answer: CBOR body -> wire JSON (yang/codec.c) -> human and
 * --json output (dots-client/print.c) and the efficacy scope copy
 * (dots-client/body.c), and raw bytes through text_sanitize (diagnostic
 * payloads). Any input must print without a crash or a leak. First input
 * byte: command and --json; second: code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dots-client/client.h"
#include "yang/codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum client_cmd cmds[] = { CMD_REQUEST, CMD_WITHDRAW,
	    CMD_GET, CMD_OBSERVE, CMD_EFFICACY, CMD_CONFIG_GET,
	    CMD_CONFIG_SET, CMD_HEARTBEAT };
	static const int codes[] = { 201, 202, 204, 205, 400, 404, 409,
	    422, 503 };
	struct client_opts	 o;
	struct dc_response	 r;
	json_t			*eff;
	char			 diag[CODEC_DIAG_LEN], err[256];
	FILE			*devnull;

	if (size < 2)
		return 0;
	/* the diagnostic payload path: raw bytes to terminal-safe UTF-8 */
	text_sanitize(err, 1 + data[0] % sizeof(err), data, size);
	if (strlen(err) >= sizeof(err))
		abort();
	opts_init(&o);
	o.cmd = cmds[data[0] % (sizeof(cmds) / sizeof(cmds[0]))];
	o.json = (data[0] & 0x80) != 0;
	o.has_mid = 1;
	o.mid = 12332;
	o.attack_status = 1;
	memset(&r, 0, sizeof(r));
	r.code = codes[data[1] % (sizeof(codes) / sizeof(codes[0]))];
	r.max_age = data[1] & 0x80 ? 60 : -1;
	if (codec_cbor_decode(data + 2, size - 2, &r.body, diag,
	    sizeof(diag)) < 0)
		return 0;
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	print_response(devnull, &o, &r);
	fclose(devnull);
	eff = body_efficacy(r.body, o.mid, &o, err, sizeof(err));
	json_decref(eff);
	json_decref(r.body);
	return 0;
}
