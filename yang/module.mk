# yang/: RFC 9132 CBOR <-> wire JSON codec and libyang validation.
# Other modules link $(YANG_OBJS).
YANG_SRCS	:= yang/codec.c
YANG_OBJS	:= $(YANG_SRCS:%.c=$(OUT)/%.o)

# Test objects get a static pattern rule: the $(OUT)/tests/% link rule
# would otherwise also match $(OUT)/tests/unit/*.o (shorter stem wins).
# DOTSD_SRCDIR lets the tests find tests/vectors/ and ../shared/ from
# wherever they run.
YANG_TEST_OBJS	:= $(OUT)/tests/unit/yang_codec_test.o \
		   $(OUT)/tests/unit/yang_vectors_test.o
$(YANG_TEST_OBJS): $(OUT)/%.o: %.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DDOTSD_SRCDIR='"$(CURDIR)"' -MMD -MP -c -o $@ $<

TESTS		+= $(OUT)/tests/yang_codec_test $(OUT)/tests/yang_vectors_test
$(OUT)/tests/yang_codec_test: $(OUT)/tests/unit/yang_codec_test.o \
	$(OUT)/yang/codec.o $(LIB_OBJS)
$(OUT)/tests/yang_vectors_test: $(OUT)/tests/unit/yang_vectors_test.o \
	$(YANG_OBJS) $(LIB_OBJS)
