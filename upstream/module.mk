# upstream/: the client side of the DOTS signal channel, shared by
# dots-client and dotsd's upstream backend (recursive DOTS, RFC 8811 §3.2.3).
CHAN_SRCS	:= upstream/chan.c upstream/uri.c
CHAN_OBJS	:= $(CHAN_SRCS:%.c=$(OUT)/%.o)
