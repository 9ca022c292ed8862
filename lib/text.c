/*
 * text.c: making text a peer sent safe to print and to put in JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/text.h"

/*
 * Copies text a server sent (a diagnostic payload, RFC 7252 §5.5.2) so
 * that it is valid UTF-8 without control characters: a hostile server
 * must not drive the operator's terminal, and jansson only takes valid
 * UTF-8 for --json. Anything else becomes '.'.
 */
void
text_sanitize(char *dst, size_t dstlen, const uint8_t *src, size_t len)
{
	size_t		i = 0, o = 0, n, k;
	uint32_t	cp;

	if (dstlen == 0)
		return;
	while (i < len && o + 1 < dstlen) {
		uint8_t	b = src[i];

		if (b < 0x80) {
			dst[o++] = b < 0x20 || b == 0x7f ? '.' : (char)b;
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			n = 1, cp = b & 0x1f;
		else if (b >= 0xe0 && b <= 0xef)
			n = 2, cp = b & 0x0f;
		else if (b >= 0xf0 && b <= 0xf4)
			n = 3, cp = b & 0x07;
		else
			n = 0, cp = 0;
		for (k = 1; n != 0 && k <= n; k++) {
			if (i + k >= len || (src[i + k] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			cp = cp << 6 | (src[i + k] & 0x3f);
		}
		if (n == 0) {		/* not a sequence: one byte */
			dst[o++] = '.';
			i++;
			continue;
		}
		/* overlong, surrogate, out of range, or a C1 control: the
		 * whole sequence */
		if ((n == 2 && cp < 0x800) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f)) {
			dst[o++] = '.';
			i += n + 1;
			continue;
		}
		if (o + n + 1 >= dstlen)
			break;
		memcpy(dst + o, src + i, n + 1);
		o += n + 1;
		i += n + 1;
	}
	dst[o] = '\0';
}
