/*
 * text.h: making text a peer sent safe to print and to put in JSON.
 */
#ifndef LIB_TEXT_H
#define LIB_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Copies src into dst as valid UTF-8 without control characters (each
 * bad byte or sequence becomes '.'), NUL-terminated, truncated to fit. */
void	text_sanitize(char *dst, size_t dstlen, const uint8_t *src,
	    size_t len);

#endif
