# tests/: shared harness; each directory's module.mk adds its own tests.
# Integration scripts are run after the unit tests, in name order.
INTEGRATION	:= $(sort $(wildcard tests/integration/[0-9]*.sh))
TESTS		+= $(INTEGRATION)

# Test objects: spelled out so that the link rule below, whose stem is
# shorter, never claims a .o (make prefers the shortest stem).
$(OUT)/tests/%.o: tests/%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# Unit test link rule: $(OUT)/tests/NAME from the objects it lists.
$(OUT)/tests/%:
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets: $(OUT)/fuzz/NAME from the .c files it lists, built by
# clang with ASan+UBSan; tests/fuzz/smoke.sh runs each briefly in make check.
FUZZ_CFLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
		   -D_GNU_SOURCE -DFUZZING -I. -I$(OUT) \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
$(OUT)/fuzz/%:
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

TESTS		+= tests/fuzz/smoke.sh

# End-to-end benchmark in the namespace lab (tests/bench/e2e-bench.sh);
# e2e-load sends many requests over one session with dots-client's code.
E2E_LOAD	:= $(OUT)/tests/e2e-load
$(E2E_LOAD): $(OUT)/tests/bench/e2e-load.o \
	$(filter-out $(OUT)/dots-client/main.o,$(CLIENT_OBJS)) \
	$(CHAN_OBJS) $(YANG_OBJS) $(LIB_OBJS)
BENCHES		+= tests/bench/e2e-bench.sh
tests/bench/e2e-bench.sh: $(E2E_LOAD) $(OUT)/bin/dotsd \
	$(OUT)/bin/dots-client $(OUT)/bin/dotsd-xdp $(OUT)/tests/xdp-traffic
