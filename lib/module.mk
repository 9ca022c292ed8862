# lib/: helpers every directory may use.
LIB_SRCS	:= lib/log.c lib/text.c
LIB_OBJS	:= $(LIB_SRCS:%.c=$(OUT)/%.o)
