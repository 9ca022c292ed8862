# bgp/: the announce-only BGP speaker (bgp_backend): flowspec and RTBH.
BGP_SRCS	:= bgp/speaker.c bgp/conf.c bgp/rib.c bgp/peer.c bgp/damp.c \
		   bgp/group.c bgp/fsm.c bgp/msg.c bgp/flowspec.c bgp/rtbh.c \
		   bgp/recv.c bgp/flowspec_decode.c
BGP_OBJS	:= $(BGP_SRCS:%.c=$(OUT)/%.o)

# Unit tests link only the files under test (plus lib/).
BGP_TESTS	:= bgp_flowspec_test bgp_msg_test bgp_rtbh_test bgp_speaker_test \
		   bgp_flowspec_decode_test
TESTS		+= $(BGP_TESTS:%=$(OUT)/tests/%)
$(OUT)/tests/bgp_flowspec_test: $(OUT)/tests/unit/bgp_flowspec_test.o \
	$(OUT)/bgp/flowspec.o $(LIB_OBJS)
$(OUT)/tests/bgp_flowspec_decode_test: \
	$(OUT)/tests/unit/bgp_flowspec_decode_test.o $(OUT)/bgp/flowspec.o \
	$(OUT)/bgp/flowspec_decode.o $(LIB_OBJS)
$(OUT)/tests/bgp_msg_test: $(OUT)/tests/unit/bgp_msg_test.o \
	$(OUT)/bgp/msg.o $(OUT)/bgp/flowspec.o $(LIB_OBJS)
$(OUT)/tests/bgp_rtbh_test: $(OUT)/tests/unit/bgp_rtbh_test.o \
	$(OUT)/bgp/rtbh.o $(LIB_OBJS)
$(OUT)/tests/bgp_speaker_test: $(OUT)/tests/unit/bgp_speaker_test.o \
	$(BGP_OBJS) $(LIB_OBJS)

# Standalone driver for the integration tests and the benchmark.
$(OUT)/tests/bgp-driver: $(OUT)/tests/bgp/bgp-driver.o $(BGP_OBJS) $(LIB_OBJS)
all: $(OUT)/tests/bgp-driver

FUZZERS		+= $(OUT)/fuzz/bgp_msg
$(OUT)/fuzz/bgp_msg: tests/fuzz/bgp_msg_fuzz.c bgp/msg.c bgp/flowspec.c \
	bgp/flowspec_decode.c

BENCHES		+= tests/bench/bgp-bench.sh
