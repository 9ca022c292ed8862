/*
 * log.h: bgpd-style logging. stderr when started with -d (log_init(1, ...)),
 * syslog otherwise. log_warn appends strerror(errno); log_debug prints only
 * at verbosity >= 1.
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdarg.h>

void	log_init(int to_stderr, int verbose, const char *ident);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

#endif
