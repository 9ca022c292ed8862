# dots-client/: the command-line DOTS client: signal channel (CoAP,
# libcoap) and, under "dots-client data", the RFC 8783 data channel
# (RESTCONF over HTTPS, libcurl: dots-client only, not dotsd).
CLIENT_SRCS	:= dots-client/args.c dots-client/body.c dots-client/print.c \
		   dots-client/cuid.c dots-client/main.c \
		   dots-client/data.c dots-client/data_body.c \
		   dots-client/data_main.c dots-client/http.c
CLIENT_OBJS	:= $(CLIENT_SRCS:%.c=$(OUT)/%.o)

# CBOR goes through the project codec (yang/codec*.c); the unit tests
# need only its tables.
PROGS		+= $(OUT)/bin/dots-client
$(OUT)/bin/dots-client: $(CLIENT_OBJS) $(CHAN_OBJS) $(YANG_OBJS) $(LIB_OBJS)
$(OUT)/bin/dots-client: LDLIBS += $(shell pkg-config --libs libcurl 2>/dev/null)
$(OUT)/dots-client/http.o: CFLAGS += $(shell pkg-config --cflags libcurl 2>/dev/null)

TESTS		+= $(OUT)/tests/client_args_test $(OUT)/tests/client_body_test \
		   $(OUT)/tests/client_cuid_test $(OUT)/tests/client_data_test
$(OUT)/tests/client_args_test: $(OUT)/tests/unit/client_args_test.o \
	$(OUT)/dots-client/args.o $(OUT)/upstream/uri.o $(LIB_OBJS)
$(OUT)/tests/client_body_test: $(OUT)/tests/unit/client_body_test.o \
	$(OUT)/dots-client/body.o $(OUT)/dots-client/print.o \
	$(OUT)/dots-client/args.o $(OUT)/upstream/uri.o $(CODEC_OBJS) \
	$(LIB_OBJS)
$(OUT)/tests/client_cuid_test: $(OUT)/tests/unit/client_cuid_test.o \
	$(OUT)/dots-client/cuid.o $(LIB_OBJS)
$(OUT)/tests/client_data_test: $(OUT)/tests/unit/client_data_test.o \
	$(OUT)/dots-client/data.o $(OUT)/dots-client/data_body.o $(LIB_OBJS)


# libFuzzer: a server's answer through the codec into the output code.
FUZZERS		+= $(OUT)/fuzz/client_print_fuzz
$(OUT)/fuzz/client_print_fuzz: tests/fuzz/client_print_fuzz.c \
	dots-client/print.c dots-client/body.c dots-client/args.c \
	upstream/uri.c lib/text.c $(CODEC_SRCS) dots-client/client.h yang/codec.h yang/codec_int.h
