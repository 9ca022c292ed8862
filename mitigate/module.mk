# mitigate/: the mitigation engine and the null test backends.
# MITIGATE_OBJS is what dotsd links; null.o is in it so `backend null`
# can stand in for xdp/bgp without root.
MITIGATE_SRCS	:= mitigate/engine.c mitigate/compile.c mitigate/policy.c \
		   mitigate/counters.c mitigate/escalate.c mitigate/null.c \
		   mitigate/recv.c \
		   mitigate/filter.c
MITIGATE_OBJS	:= $(MITIGATE_SRCS:%.c=$(OUT)/%.o)

MITIGATE_TESTS	:= mitigate_compile_test mitigate_engine_test \
		   mitigate_counters_test mitigate_escalate_test \
		   mitigate_null_test mitigate_filter_test
TESTS		+= $(MITIGATE_TESTS:%=$(OUT)/tests/%)
$(foreach t,$(MITIGATE_TESTS),$(eval \
  $(OUT)/tests/$(t): $(OUT)/tests/unit/$(t).o $(MITIGATE_OBJS) $(LIB_OBJS)))

BENCHES		+= $(OUT)/tests/bench/mitigate-bench
$(OUT)/tests/bench/mitigate-bench: $(OUT)/tests/bench/mitigate_bench.o \
		$(MITIGATE_OBJS) $(LIB_OBJS)

