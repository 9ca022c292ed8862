# upstream/: the client side of the DOTS signal channel, shared by
# dots-client and dotsd's upstream backend (recursive DOTS, RFC 8811 §3.2.3).
CHAN_SRCS	:= upstream/chan.c upstream/uri.c
CHAN_OBJS	:= $(CHAN_SRCS:%.c=$(OUT)/%.o)

UPSTREAM_SRCS	:= upstream/backend.c upstream/body.c upstream/conf.c \
		   upstream/session.c
UPSTREAM_OBJS	:= $(UPSTREAM_SRCS:%.c=$(OUT)/%.o)

TESTS		+= $(OUT)/tests/upstream_body_test
$(OUT)/tests/upstream_body_test: $(OUT)/tests/unit/upstream_body_test.o \
	$(OUT)/upstream/body.o $(LIB_OBJS)
