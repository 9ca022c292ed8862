# xdp/: the XDP data plane (dotsd.bpf.c) and its backend (loader.c with
# table.c maps.c group.c adopt.c classify.c, rules.c, ifwatch.c), plus dotsd-xdp, the
# admin tool that drives it without dotsd.

XDP_BPF_OBJ	:= $(OUT)/xdp/dotsd.bpf.o
XDP_SKEL	:= $(OUT)/xdp/dotsd.skel.h
XDP_VMLINUX	:= $(OUT)/xdp/vmlinux.h
BPF_OBJS	+= $(XDP_BPF_OBJ)
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)

# vmlinux.h from the running kernel's BTF; without BTF, the uapi headers
# give the few structs the program reads (it needs no CO-RE relocation).
$(XDP_VMLINUX):
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ]; then \
		bpftool btf dump file /sys/kernel/btf/vmlinux format c >$@.tmp; \
	else \
		printf '%s\n' '#ifndef __VMLINUX_H__' '#define __VMLINUX_H__' \
		'#include <linux/types.h>' '#include <linux/bpf.h>' \
		'#include <linux/if_ether.h>' '#include <linux/ip.h>' \
		'#include <linux/ipv6.h>' '#include <linux/tcp.h>' \
		'#include <linux/udp.h>' '#endif' >$@.tmp; \
	fi && mv $@.tmp $@

$(XDP_BPF_OBJ): xdp/dotsd.bpf.c xdp/dotsd_shared.h $(XDP_VMLINUX)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
		-I. -I$(OUT)/xdp -I/usr/include/$(MULTIARCH) \
		-Wall -Wno-unused-function -c $< -o $@

$(XDP_SKEL): $(XDP_BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< name dotsd >$@.tmp && mv $@.tmp $@

XDP_SRCS	:= xdp/loader.c xdp/table.c xdp/maps.c xdp/group.c xdp/adopt.c \
		   xdp/classify.c \
		   xdp/rules.c xdp/ifwatch.c xdp/limits.c
XDP_OBJS	:= $(XDP_SRCS:%.c=$(OUT)/%.o)
$(XDP_OBJS): $(XDP_SKEL) xdp/dotsd_shared.h xdp/xdp.h

PROGS		+= $(OUT)/bin/dotsd-xdp
$(OUT)/bin/dotsd-xdp: $(OUT)/xdp/xdpctl.o $(XDP_OBJS) $(LIB_OBJS)
$(OUT)/xdp/xdpctl.o: $(XDP_SKEL) xdp/xdp.h

all: $(XDP_BPF_OBJ)

# Unit tests: the rule compiler alone, and the program's verdicts (root).
TESTS		+= $(OUT)/tests/xdp_rules_test $(OUT)/tests/xdp_verdict_test
$(OUT)/tests/xdp_rules_test: $(OUT)/tests/unit/xdp_rules_test.o \
	$(OUT)/xdp/rules.o $(OUT)/xdp/classify.o $(LIB_OBJS)
$(OUT)/tests/xdp_verdict_test: $(OUT)/tests/unit/xdp_verdict_test.o \
	$(XDP_OBJS) $(LIB_OBJS)
$(OUT)/tests/unit/xdp_verdict_test.o: $(XDP_SKEL) tests/unit/xdp_pkt.h

# Traffic generator of the integration tests and the benchmark.
XDP_TRAFFIC	:= $(OUT)/tests/xdp-traffic
$(XDP_TRAFFIC): $(OUT)/tests/bench/xdp-traffic.o
$(OUT)/tests/bench/xdp-%.o: tests/bench/xdp-%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<
all: $(XDP_TRAFFIC)

# make bench: tests/bench/xdp-bench drives $(OUT)/tests/xdp-bench.
XDP_BENCH	:= $(OUT)/tests/xdp-bench
$(XDP_BENCH): $(OUT)/tests/bench/xdp-bench.o $(XDP_OBJS) $(LIB_OBJS)
$(OUT)/tests/bench/xdp-bench.o: $(XDP_SKEL) tests/unit/xdp_pkt.h
BENCHES		+= tests/bench/xdp-bench
tests/bench/xdp-bench: $(XDP_BENCH) $(XDP_TRAFFIC) $(OUT)/bin/dotsd-xdp
