# dotsctl/: command-line front end of dotsd's control socket.
DOTSCTL_SRCS	:= dotsctl/dotsctl.c
PROGS		+= $(OUT)/bin/dotsctl
$(OUT)/bin/dotsctl: $(DOTSCTL_SRCS:%.c=$(OUT)/%.o)
