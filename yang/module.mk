# yang/: RFC 9132 CBOR <-> wire JSON codec and libyang validation.
# Other modules link $(YANG_OBJS).
# The CBOR codec: key table, reader, decoder, encoder. Fuzzers elsewhere
# list $(CODEC_SRCS) (yang/module.mk is included before them).
CODEC_SRCS	:= yang/codec.c yang/codec_read.c yang/codec_decode.c \
		   yang/codec_encode.c
CODEC_OBJS	:= $(CODEC_SRCS:%.c=$(OUT)/%.o)
YANG_SRCS	:= $(CODEC_SRCS) yang/validate.c yang/validate_data.c
YANG_OBJS	:= $(YANG_SRCS:%.c=$(OUT)/%.o)

# Test objects get a static pattern rule: the $(OUT)/tests/% link rule
# would otherwise also match $(OUT)/tests/unit/*.o (shorter stem wins).
# DOTSD_SRCDIR lets the tests find tests/vectors/ and ../shared/ from
# wherever they run.
YANG_TEST_OBJS	:= $(OUT)/tests/unit/yang_codec_test.o \
		   $(OUT)/tests/unit/yang_vectors_test.o \
		   $(OUT)/tests/unit/yang_validate_test.o \
		   $(OUT)/tests/bench/yang_codec_bench.o
$(YANG_TEST_OBJS): $(OUT)/%.o: %.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DDOTSD_SRCDIR='"$(CURDIR)"' -MMD -MP -c -o $@ $<

TESTS		+= $(OUT)/tests/yang_codec_test $(OUT)/tests/yang_vectors_test \
		   $(OUT)/tests/yang_validate_test
$(OUT)/tests/yang_codec_test: $(OUT)/tests/unit/yang_codec_test.o \
	$(CODEC_OBJS) $(LIB_OBJS)
$(OUT)/tests/yang_vectors_test: $(OUT)/tests/unit/yang_vectors_test.o \
	$(YANG_OBJS) $(LIB_OBJS)
$(OUT)/tests/yang_validate_test: $(OUT)/tests/unit/yang_validate_test.o \
	$(OUT)/yang/validate.o $(LIB_OBJS)

BENCHES		+= $(OUT)/tests/bench/yang-codec-bench
$(OUT)/tests/bench/yang-codec-bench: $(OUT)/tests/bench/yang_codec_bench.o \
	$(YANG_OBJS) $(LIB_OBJS)

# codec_yang_default_dir() finds the source tree's modules from the
# executable's path; fuzzers (run from anywhere) also get DOTSD_SRCDIR.

# libFuzzer: CBOR decode -> re-encode -> libyang validation.
FUZZERS		+= $(OUT)/fuzz/yang_decode_fuzz
$(OUT)/fuzz/yang_decode_fuzz: tests/fuzz/yang_decode_fuzz.c $(YANG_SRCS) \
	yang/codec.h yang/codec_int.h
$(OUT)/fuzz/yang_decode_fuzz: FUZZ_CFLAGS += -DDOTSD_SRCDIR='"$(CURDIR)"'

# libFuzzer: arbitrary wire JSON -> validation, encode, decode.
FUZZERS		+= $(OUT)/fuzz/yang_json_fuzz
$(OUT)/fuzz/yang_json_fuzz: tests/fuzz/yang_json_fuzz.c $(YANG_SRCS) \
	yang/codec.h yang/codec_int.h
$(OUT)/fuzz/yang_json_fuzz: FUZZ_CFLAGS += -DDOTSD_SRCDIR='"$(CURDIR)"'

# The modules, for `make install` (the top-level install calls this).
.PHONY: install-yang
install-yang:
	install -d $(DESTDIR)/usr/share/dotsd/yang/libyang-compat
	install -m 644 yang/modules/*.yang yang/modules/README.md \
		$(DESTDIR)/usr/share/dotsd/yang/
	install -m 644 yang/modules/libyang-compat/*.yang \
		yang/modules/libyang-compat/*.diff \
		$(DESTDIR)/usr/share/dotsd/yang/libyang-compat/
