/*
 * crash.c - crash records on fatal signals; see crash.h. Everything the
 * handler calls is async-signal-safe (open, write, close, mkdir, getpid,
 * clock_gettime, sigaction, raise), except backtrace(), which is made safe
 * enough by calling it once at install time (its first call dlopens
 * libgcc_s and allocates).
 */
#define _GNU_SOURCE
#include "http/crash.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef HUB_VERSION
#define HUB_VERSION "unknown"
#endif

static const int g_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

/* Folder of the records, fixed before any thread starts. */
static char g_dir[3072] = ".";

static __thread const char *t_module;
static __thread const char *t_route;
static __thread const char *t_request;

void hub_crash_enter(const char *module, const char *route,
		     const char *request_id)
{
	t_module = module;
	t_route = route;
	t_request = request_id;
}

void hub_crash_leave(void)
{
	t_module = NULL;
	t_route = NULL;
	t_request = NULL;
}

/* A fixed-size line buffer filled without stdio. */
typedef struct {
	char b[4096];
	size_t n;
} line_buf;

static void put(line_buf *l, const char *s)
{
	if (!s)
		s = "-";
	for (; *s && l->n < sizeof(l->b); s++)
		l->b[l->n++] = *s;
}

static void put_uint(line_buf *l, uint64_t v, unsigned base)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	static const char digits[] = "0123456789abcdef";
	tmp[--i] = 0;
	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v && i > 0);
	put(l, tmp + i);
}

/* A short name of what may be a request id or a route: printable ASCII
 * without '=' or newline (hub ids and patterns always are). */
static void put_value(line_buf *l, const char *s)
{
	size_t k = 0;
	if (!s || !*s) {
		put(l, "-");
		return;
	}
	for (; s[k] && k < 200 && l->n < sizeof(l->b); k++) {
		unsigned char c = (unsigned char)s[k];
		l->b[l->n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGABRT:
		return "SIGABRT";
	default:
		return "SIG?";
	}
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Opens the record file (creating the folder); -1 when impossible. */
static int open_record(line_buf *path, uint64_t now, uint64_t pid)
{
	path->n = 0;
	put(path, g_dir);
	path->b[path->n < sizeof(path->b) ? path->n : sizeof(path->b) - 1] = 0;
	(void)mkdir(path->b, 0700);
	put(path, "/crash-");
	put_uint(path, now, 10);
	put(path, "-");
	put_uint(path, pid, 10);
	put(path, ".txt");
	if (path->n >= sizeof(path->b))
		return -1;
	path->b[path->n] = 0;
	return open(path->b, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

static void write_record(int sig, const siginfo_t *si)
{
	static line_buf l, path; /* static: the alternate stack is small */
	void *frames[64];
	struct timespec ts = {0, 0};
	uint64_t pid = (uint64_t)getpid();
	clock_gettime(CLOCK_REALTIME, &ts);
	int fd = open_record(&path, (uint64_t)ts.tv_sec, pid);

	l.n = 0;
	put(&l, "signal=");
	put_uint(&l, (uint64_t)sig, 10);
	put(&l, "\nsigname=");
	put(&l, sig_name(sig));
	put(&l, "\naddr=0x");
	put_uint(&l, si ? (uint64_t)(uintptr_t)si->si_addr : 0, 16);
	put(&l, "\ntime=");
	put_uint(&l, (uint64_t)ts.tv_sec, 10);
	put(&l, "\npid=");
	put_uint(&l, pid, 10);
	put(&l, "\nrelease=" HUB_VERSION "\nmodule=");
	put_value(&l, t_module);
	put(&l, "\nroute=");
	put_value(&l, t_route);
	put(&l, "\nrequest_id=");
	put_value(&l, t_request);
	put(&l, "\nbacktrace:\n");
	if (fd >= 0) {
		write_all(fd, l.b, l.n);
		int n = backtrace(frames, 64);
		backtrace_symbols_fd(frames, n, fd);
		close(fd);
	}
	/* one line on stderr for the log (the supervisor keeps it) */
	l.n = 0;
	put(&l, "hubd: fatal signal ");
	put(&l, sig_name(sig));
	put(&l, " in ");
	put_value(&l, t_route);
	put(&l, " (request ");
	put_value(&l, t_request);
	put(&l, "); crash record ");
	put(&l, fd >= 0 ? path.b : "not written");
	put(&l, "\n");
	write_all(2, l.b, l.n);
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	static int busy;
	struct sigaction dfl;
	(void)uc;
	/* only the first fatal signal writes; a second thread's waits for
	 * the first one's re-raise to end the process (at most 5 s) */
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_SEQ_CST) == 0) {
		write_record(sig, si);
	} else {
		struct timespec ts = {0, 100 * 1000 * 1000};
		for (int i = 0; i < 50; i++)
			nanosleep(&ts, NULL);
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

void hub_crash_install(const char *data_dir)
{
	struct sigaction sa;
	void *warm[4];
	size_t n;

	if (data_dir && *data_dir) {
		n = strlen(data_dir);
		if (n + sizeof("/crash") < sizeof(g_dir)) {
			memcpy(g_dir, data_dir, n);
			memcpy(g_dir + n, "/crash", sizeof("/crash"));
		}
	} else {
		memcpy(g_dir, "crash", sizeof("crash"));
	}
	(void)backtrace(warm, 4);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(g_sigs) / sizeof(g_sigs[0]); i++)
		sigaction(g_sigs[i], &sa, NULL);
}
