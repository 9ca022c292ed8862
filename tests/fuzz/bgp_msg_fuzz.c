/*
 * bgp_msg_fuzz.c: libFuzzer target for everything a BGP peer can send us:
 * a byte stream cut into messages by bgp_hdr_parse(), each given to its
 * parser (OPEN, UPDATE with 2- and 4-octet AS_PATH, NOTIFICATION,
 * ROUTE-REFRESH), and the same bytes as flowspec NLRIs of both AFIs.
 * What validates goes on to the receive side's decoder (flowspec_decode,
 * flowspec_actions), as recv.c does with each NLRI of an UPDATE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/flowspec.h"
#include "bgp/msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The receive path of one NLRI list: frame, validate, decode. */
static void
rx_list(int afi, const uint8_t *l, size_t len, const struct bgp_update_info *ui)
{
	struct mit_rule	r;
	size_t		off = 0, used;

	while (off < len) {
		if (flowspec_validate(afi, l + off, len - off, &used) !=
		    FLOWSPEC_OK)
			break;
		if (flowspec_decode(afi, l + off, used, &r) == FLOWSPEC_RX_OK)
			(void)flowspec_actions(ui->ecs, ui->necs, &r);
		off += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgp_update_info	ui;
	struct bgp_open		o;
	struct bgp_err		e;
	uint16_t		mlen;
	uint8_t			type, code, subcode, *m;
	size_t			off = 0, used;

	while (size - off >= BGP_HDR_LEN) {
		if (bgp_hdr_parse(data + off, size - off, &mlen, &type,
		    &e) < 0 || mlen > size - off)
			break;
		/* exact-size copy: reads past the message are caught */
		if ((m = malloc(mlen)) == NULL)
			break;
		memcpy(m, data + off, mlen);
		switch (type) {
		case BGP_OPEN:
			(void)bgp_open_parse(m, mlen, &o, &e);
			break;
		case BGP_UPDATE:
			if (bgp_update_parse(m, mlen, 1, &ui, &e) == 0 &&
			    ui.reach_fam >= 0)
				rx_list(bgp_fam_afi(ui.reach_fam), ui.reach,
				    ui.reach_len, &ui);
			(void)bgp_update_parse(m, mlen, 0, &ui, &e);
			break;
		case BGP_NOTIFICATION:
			(void)bgp_notification_parse(m, mlen, &code, &subcode);
			break;
		case BGP_RREFRESH:
			(void)bgp_rrefresh_parse(m, mlen, &e);
			break;
		}
		free(m);
		off += mlen;
	}
	if ((m = malloc(size ? size : 1)) != NULL) {
		memcpy(m, data, size);
		struct mit_rule	r;

		if (flowspec_validate(1, m, size, &used) == FLOWSPEC_OK)
			(void)flowspec_decode(1, m, used, &r);
		if (flowspec_validate(2, m, size, &used) == FLOWSPEC_OK)
			(void)flowspec_decode(2, m, used, &r);
		if (size % 8 == 0)
			(void)flowspec_actions(m, size / 8, &r);
		free(m);
	}
	return 0;
}
