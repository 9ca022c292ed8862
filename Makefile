# dotsd: non-recursive GNU make. Each */module.mk adds to PROGS, TESTS,
# FUZZERS and BENCHES; objects go to .output/.
#
#   make              build dotsd, dots-client, dotsctl and the BPF object
#   make check        build and run every test; ends with "N passed, N failed"
#   make check SANITIZE=1   the same under ASan+UBSan
#   make bench        benchmarks (figures and ratios, no pass/fail)
#   make demo         the namespace lab (root)
#   make deps         install the Debian packages we build, test, demo and
#                     benchmark with (groups in tools/deps.sh)

.DELETE_ON_ERROR:
.SUFFIXES:

OUT	:= .output
CC	?= cc
CLANG	?= clang
ARCH	:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# A fresh machine gets its Debian packages before pkg-config is asked:
# the build group always, the check, demo and bench groups when those
# targets are asked for (tools/deps.sh says what each group holds). Only
# missing build packages stop make; a missing test package is named and
# its tests skip.
DEPS_GROUPS := build $(filter check demo bench,$(MAKECMDGOALS))
ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
_deps	:= $(shell ./tools/deps.sh $(DEPS_GROUPS) >&2 || echo fail)
ifneq ($(_deps),)
$(error tools/deps.sh: the packages of "$(DEPS_GROUPS)" are missing or could not be installed)
endif
endif

PKGS	:= libcoap-3-openssl libyang openssl libcbor sqlite3 jansson libbpf \
	   libnl-3.0 libnl-route-3.0 libcares libevent_openssl

WARN	:= -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wsign-compare -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -I$(OUT) \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifeq ($(SANITIZE),1)
OUT	:= .output-san
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q	:=
msg	:=
else
Q	:= @
msg	= @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Filled in by the modules.
PROGS	:=
TESTS	:=
FUZZERS	:=
BENCHES	:=
BPF_OBJS :=
CLEAN	:=

all:

include lib/module.mk
include yang/module.mk
include mitigate/module.mk
include xdp/module.mk
include bgp/module.mk
include upstream/module.mk
include dotsd/module.mk
include dotsctl/module.mk
include dots-client/module.mk
include tests/module.mk

all: $(PROGS)

$(OUT)/%.o: %.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# link rule used by every module: $(call link,target,objects)
$(OUT)/bin/%:
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: all check bench demo deps clean install update-golden

deps:
	$(Q)./tools/deps.sh build check demo bench

check: all $(TESTS) $(FUZZERS)
	$(Q)OUT=$(OUT) SANITIZE=$(SANITIZE) ./tests/run.sh $(TESTS)

bench: all $(BENCHES)
	$(Q)OUT=$(OUT) ./tests/bench/run.sh $(BENCHES)

demo: all
	$(Q)OUT=$(OUT) ./tools/demo.sh

install: all install-yang
	install -d $(DESTDIR)/usr/sbin $(DESTDIR)/usr/bin \
		$(DESTDIR)/usr/share/man/man1 $(DESTDIR)/usr/share/man/man5 \
		$(DESTDIR)/usr/share/man/man8 $(DESTDIR)/lib/systemd/system \
		$(DESTDIR)/usr/share/doc/dotsd
	install -m 755 $(OUT)/bin/dotsd $(OUT)/bin/dotsctl $(OUT)/bin/dotsd-xdp \
		$(DESTDIR)/usr/sbin/
	install -m 755 $(OUT)/bin/dots-client $(DESTDIR)/usr/bin/
	install -m 644 doc/*.1 $(DESTDIR)/usr/share/man/man1/
	install -m 644 doc/*.5 $(DESTDIR)/usr/share/man/man5/
	install -m 644 doc/*.8 $(DESTDIR)/usr/share/man/man8/
	install -m 644 dist/dotsd.service $(DESTDIR)/lib/systemd/system/
	install -m 644 dist/dotsd.conf.example $(DESTDIR)/usr/share/doc/dotsd/

clean:
	rm -rf .output .output-san

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
