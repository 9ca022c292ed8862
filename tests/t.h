/*
 * t.h: the unit-test harness. A test file defines test functions and lists
 * them in main with T_RUN; each runs in a forked child with a timeout, so a
 * crash or hang fails that test alone. Output: one "ok NAME" or
 * "FAIL NAME: why" line per test; tests/run.sh counts them.
 *
 *	static void t_lifetime_zero(void) { T_ASSERT(x == 0); T_EQ(a, b); }
 *	int main(void) { T_RUN(t_lifetime_zero); return t_done(); }
 */
#ifndef TESTS_T_H
#define TESTS_T_H

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int t_failed_, t_passed_;

#ifndef T_TIMEOUT
#define T_TIMEOUT 60
#endif

#define T_FAIL(...) do {						\
	fprintf(stdout, "  %s:%d: ", __FILE__, __LINE__);		\
	fprintf(stdout, __VA_ARGS__);					\
	fputc('\n', stdout);						\
	fflush(stdout);							\
	_exit(1);							\
} while (0)

#define T_ASSERT(c) do {						\
	if (!(c))							\
		T_FAIL("assertion failed: %s", #c);			\
} while (0)

#define T_EQ(a, b) do {							\
	long long t_a_ = (long long)(a), t_b_ = (long long)(b);		\
	if (t_a_ != t_b_)						\
		T_FAIL("%s == %lld, expected %s == %lld", #a, t_a_,	\
		    #b, t_b_);						\
} while (0)

#define T_STREQ(a, b) do {						\
	const char *t_a_ = (a), *t_b_ = (b);				\
	if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0)	\
		T_FAIL("%s is \"%s\", expected \"%s\"", #a,		\
		    t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");	\
} while (0)

#define T_MEMEQ(a, b, n) do {						\
	if (memcmp((a), (b), (n)) != 0)					\
		T_FAIL("%s differs from %s", #a, #b);			\
} while (0)

static inline void
t_run_(const char *name, void (*fn)(void))
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(T_TIMEOUT);
		fn();
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		printf("FAIL %s: fork/wait failed\n", name);
		t_failed_++;
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %s\n", name);
		t_passed_++;
	} else if (WIFSIGNALED(status)) {
		printf("FAIL %s: signal %d%s\n", name, WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		t_failed_++;
	} else {
		printf("FAIL %s\n", name);
		t_failed_++;
	}
	fflush(stdout);
}

#define T_RUN(fn) t_run_(#fn, fn)

static inline int
t_done(void)
{
	return t_failed_ ? 1 : 0;
}

#endif
