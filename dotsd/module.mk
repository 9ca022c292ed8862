# dotsd/: see its files

# config/authz/control (owner: config/authz): parser, printer,
# authorization, resolver, control socket, metrics.
# dotsd.conf parser: conf.c (entry, keywords, grammar) + its pieces.
DOTSD_PARSE_SRCS := dotsd/conf.c dotsd/conf_lex.c dotsd/conf_value.c \
		   dotsd/conf_top.c dotsd/conf_block.c dotsd/conf_check.c
DOTSD_PARSE_OBJS := $(DOTSD_PARSE_SRCS:%.c=$(OUT)/%.o)
DOTSD_CONF_SRCS	:= $(DOTSD_PARSE_SRCS) dotsd/printconf.c dotsd/authz.c \
		   dotsd/prefix.c dotsd/resolve.c dotsd/control.c dotsd/metrics.c \
		   dotsd/received.c
DOTSD_CONF_OBJS	:= $(DOTSD_CONF_SRCS:%.c=$(OUT)/%.o)

TESTS		+= $(OUT)/tests/dotsd_conf_test $(OUT)/tests/dotsd_authz_test
$(OUT)/tests/dotsd_conf_test: $(OUT)/tests/unit/dotsd_conf_test.o \
		$(DOTSD_PARSE_OBJS) $(OUT)/dotsd/printconf.o \
		$(OUT)/dotsd/authz.o $(OUT)/dotsd/prefix.o $(LIB_OBJS)
$(OUT)/tests/dotsd_authz_test: $(OUT)/tests/unit/dotsd_authz_test.o \
		$(DOTSD_PARSE_OBJS) $(OUT)/dotsd/authz.o $(OUT)/dotsd/prefix.o $(LIB_OBJS)
TESTS		+= $(OUT)/tests/dotsd_resolve_test
$(OUT)/tests/dotsd_resolve_test: $(OUT)/tests/unit/dotsd_resolve_test.o \
		$(OUT)/dotsd/resolve.o $(OUT)/dotsd/authz.o $(OUT)/dotsd/prefix.o $(LIB_OBJS)
# mitreq_dump, signal_dump, engine_status/reconcile are doubles in the test;
# it also runs the dotsctl binary (order-only: not linked in).
TESTS		+= $(OUT)/tests/dotsd_control_test
$(OUT)/tests/dotsd_control_test: $(OUT)/tests/unit/dotsd_control_test.o \
		$(OUT)/dotsd/control.o $(OUT)/dotsd/metrics.o \
		$(OUT)/dotsd/received.o $(DOTSD_PARSE_OBJS) $(OUT)/dotsd/authz.o $(OUT)/dotsd/prefix.o $(LIB_OBJS) \
		| $(OUT)/bin/dotsctl
# Golden configurations (tests/vectors/conf): checked in make check,
# rewritten by make update-golden (tests/update-golden.sh).
TESTS		+= $(OUT)/tests/dotsd_conf_golden
$(OUT)/tests/dotsd_conf_golden: $(OUT)/tests/unit/dotsd_conf_golden.o \
		$(DOTSD_PARSE_OBJS) $(OUT)/dotsd/printconf.o \
		$(OUT)/dotsd/authz.o $(OUT)/dotsd/prefix.o $(LIB_OBJS)
update-golden:: $(OUT)/tests/dotsd_conf_golden
	$(Q)OUT=$(OUT) ./tests/update-golden.sh
# The parser on arbitrary text, and print -> parse -> print stability.
FUZZERS		+= $(OUT)/fuzz/dotsd_conf_fuzz
$(OUT)/fuzz/dotsd_conf_fuzz: tests/fuzz/dotsd_conf_fuzz.c $(DOTSD_PARSE_SRCS) \
		dotsd/printconf.c dotsd/authz.c dotsd/prefix.c dotsd/conf_int.h
# end config/authz/control

# mitigation requests + store (owner: mitigation semantics + store)
DOTSD_MIT_SRCS	:= dotsd/mitreq.c dotsd/mitreq_index.c dotsd/mitreq_group.c \
		   dotsd/mitreq_parse.c \
		   dotsd/mitreq_targets.c \
		   dotsd/mitreq_cuid.c dotsd/mitreq_conflict.c dotsd/mitreq_put.c \
		   dotsd/mitreq_fsm.c dotsd/mitreq_engine.c dotsd/mitreq_notify.c \
		   dotsd/mitreq_store.c dotsd/mitreq_source.c dotsd/store.c
DOTSD_MIT_OBJS	:= $(DOTSD_MIT_SRCS:%.c=$(OUT)/%.o)

# engine, authz, resolver and signal.c are doubles in the test file;
# prefixes are parsed by the real prefix.c.
TESTS		+= $(OUT)/tests/dotsd_mitreq_test $(OUT)/tests/dotsd_store_test
$(OUT)/tests/dotsd_mitreq_test: $(OUT)/tests/unit/dotsd_mitreq_test.o \
		$(DOTSD_MIT_OBJS) $(OUT)/dotsd/prefix.o $(LIB_OBJS)
$(OUT)/tests/dotsd_store_test: $(OUT)/tests/unit/dotsd_store_test.o \
		$(OUT)/dotsd/store.o $(OUT)/dotsd/store_dc.o $(LIB_OBJS)
# the indexes against the scans they replaced (the oracle is in the test)
TESTS		+= $(OUT)/tests/dotsd_mitreq_index_test
$(OUT)/tests/dotsd_mitreq_index_test: \
		$(OUT)/tests/unit/dotsd_mitreq_index_test.o \
		$(DOTSD_MIT_OBJS) $(OUT)/dotsd/prefix.o $(LIB_OBJS)

BENCHES		+= $(OUT)/tests/bench/mitreq-bench
$(OUT)/tests/bench/mitreq-bench: $(OUT)/tests/bench/mitreq_bench.o \
		$(DOTSD_MIT_OBJS) $(OUT)/dotsd/prefix.o $(LIB_OBJS)

# libFuzzer: CBOR body -> codec -> mitreq_put/get/delete/tick
FUZZERS		+= $(OUT)/fuzz/mitreq_put_fuzz
$(OUT)/fuzz/mitreq_put_fuzz: tests/fuzz/mitreq_put_fuzz.c $(DOTSD_MIT_SRCS) \
		dotsd/prefix.c $(CODEC_SRCS) $(LIB_SRCS) dotsd/mitreq.h dotsd/mitreq_int.h \
		dotsd/store.h
# end mitigation requests + store

# signal channel + main (owner: transport/sessions).
DOTSD_SIG_SRCS	:= dotsd/dotsd.c dotsd/signal.c dotsd/signal_async.c \
		   dotsd/signal_obs.c dotsd/signal_reply.c dotsd/signal_req.c \
		   dotsd/signal_tls.c dotsd/signal_uri.c dotsd/session.c \
		   dotsd/datachan.c dotsd/datachan_res.c dotsd/acl.c \
		   dotsd/acl_reg.c dotsd/acl_alias.c dotsd/acl_parse.c \
		   dotsd/acl_handlers.c \
		   dotsd/acl_compile.c dotsd/store_dc.c
DOTSD_SIG_OBJS	:= $(DOTSD_SIG_SRCS:%.c=$(OUT)/%.o)
PROGS		+= $(OUT)/bin/dotsd
$(OUT)/bin/dotsd: $(DOTSD_SIG_OBJS) $(DOTSD_MIT_SRCS:%.c=$(OUT)/%.o) \
		$(DOTSD_CONF_OBJS) $(YANG_OBJS) $(MITIGATE_OBJS) $(XDP_OBJS) \
		$(BGP_OBJS) $(UPSTREAM_OBJS) $(CHAN_OBJS) $(LIB_OBJS)
# make bench: tests/bench/signal-bench.sh drives the DTLS load client.
SIG_BENCH_OBJ	:= $(OUT)/tests/bench/signal_bench.o
$(OUT)/tests/bench/signal-bench: $(SIG_BENCH_OBJ)
BENCHES		+= tests/bench/signal-bench.sh
tests/bench/signal-bench.sh: $(OUT)/tests/bench/signal-bench $(OUT)/bin/dotsd
TESTS		+= $(OUT)/tests/dotsd_signal_uri_test
$(OUT)/tests/dotsd_signal_uri_test: $(OUT)/tests/unit/dotsd_signal_uri_test.o \
		$(OUT)/dotsd/signal_uri.o $(LIB_OBJS)
# Session configuration (/config) with doubles for store/mitreq/signal.
TESTS		+= $(OUT)/tests/dotsd_session_test
$(OUT)/tests/dotsd_session_test: $(OUT)/tests/unit/dotsd_session_test.o \
		$(OUT)/dotsd/session.o $(LIB_OBJS)
FUZZERS		+= $(OUT)/fuzz/signal_uri_fuzz
$(OUT)/fuzz/signal_uri_fuzz: tests/fuzz/signal_uri_fuzz.c dotsd/signal_uri.c \
		dotsd/signal_uri.h
# end signal channel


# RFC 8783 data channel (owner: data channel): HTTPS thread, RESTCONF
# resources, ACL/alias store. make bench: a 1,000-entry ACL PUT -> XDP.
BENCHES		+= tests/bench/datachan-bench.sh
tests/bench/datachan-bench.sh: $(OUT)/bin/dotsd $(OUT)/bin/dotsd-xdp \
	$(OUT)/bin/dotsctl $(OUT)/bin/dots-client $(OUT)/tests/xdp-traffic
# libFuzzer: RESTCONF path + body -> YANG validation -> ACL entry compile
FUZZERS		+= $(OUT)/fuzz/datachan_fuzz
$(OUT)/fuzz/datachan_fuzz: tests/fuzz/datachan_fuzz.c dotsd/datachan.c \
	dotsd/acl_compile.c dotsd/authz.c dotsd/prefix.c $(YANG_SRCS) \
	$(LIB_SRCS) dotsd/datachan_int.h dotsd/acl.h
$(OUT)/fuzz/datachan_fuzz: FUZZ_CFLAGS += -DDOTSD_SRCDIR='"$(CURDIR)"'
