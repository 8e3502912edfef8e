/*
 * hubproc.c - see hubproc.h.
 */
#define _GNU_SOURCE
#include "hubproc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int hubproc_any_live_status;

/* Asks the kernel for a free loopback port. */
static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Replaces every `from` in `s` by `to`; returns a new string. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)); p += fl)
		n++;
	char *out = malloc(strlen(s) + n * (tl + 1) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = s;;) {
		const char *q = strstr(p, from);
		if (!q) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		p = q + fl;
	}
	return out;
}

static void print_log(const hubproc *h)
{
	char buf[4096];
	FILE *fp = fopen(h->log, "r");
	fprintf(stderr, "---- hubd log (%s) ----\n", h->log);
	while (fp && fgets(buf, sizeof(buf), fp))
		fputs(buf, stderr);
	if (fp)
		fclose(fp);
	fprintf(stderr, "---- end of log ----\n");
}

int hubproc_start(hubproc *h, const char *conf_text, const char *const *env)
{
	char port[16], data[300];
	char *c1 = NULL, *c2 = NULL, *c3 = NULL;
	FILE *fp;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	snprintf(h->dir, sizeof(h->dir), "/tmp/hubtest-XXXXXX");
	if (!mkdtemp(h->dir))
		return -1;
	snprintf(data, sizeof(data), "%s/data", h->dir);
	snprintf(h->conf, sizeof(h->conf), "%s/hub.conf", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/hubd.log", h->dir);
	for (int attempt = 0; attempt < 5; attempt++) {
		h->port = free_port();
		snprintf(port, sizeof(port), "%d", h->port);
		snprintf(h->base, sizeof(h->base), "http://127.0.0.1:%d",
			 h->port);
		c1 = replace_all(conf_text, "%PORT%", port);
		c2 = c1 ? replace_all(c1, "%DATA%", data) : NULL;
		c3 = c2 ? replace_all(c2, "%MODULES%", HUB_MODULE_OUTPUT_DIR)
			: NULL;
		fp = c3 ? fopen(h->conf, "w") : NULL;
		if (fp) {
			fputs(c3, fp);
			fclose(fp);
		}
		free(c1);
		free(c2);
		free(c3);
		if (!fp)
			return -1;
		h->pid = fork();
		if (h->pid < 0)
			return -1;
		if (h->pid == 0) {
			int fd =
			    open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
			dup2(fd, 1);
			dup2(fd, 2);
			for (size_t i = 0; env && env[i]; i++)
				putenv((char *)env[i]);
			execl(HUBD_PATH, "hubd", "-c", h->conf, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) {
			http_res r;
			int st;
			char url[128];
			if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
				h->pid = -1;
				break; /* exited: maybe the port was taken */
			}
			snprintf(url, sizeof(url), "%s/health/live", h->base);
			int ok = http_do("GET", url, NULL, NULL, 0, &r) == 0 &&
				 (r.status == 200 || hubproc_any_live_status);
			http_free(&r);
			if (ok)
				return 0;
			usleep(100 * 1000);
		}
		if (h->pid > 0) {
			hubproc_stop(h, SIGKILL);
			break;
		}
	}
	print_log(h);
	return -1;
}

int hubproc_stop(hubproc *h, int sig)
{
	int st = 0;
	if (h->pid <= 0)
		return -1;
	kill(h->pid, sig);
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(h->pid, &st, WNOHANG);
		if (r == h->pid) {
			h->pid = -1;
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return 128 + WTERMSIG(st);
		}
		usleep(100 * 1000);
	}
	kill(h->pid, SIGKILL);
	waitpid(h->pid, &st, 0);
	h->pid = -1;
	print_log(h);
	return -1;
}

int hubproc_restart(hubproc *h, const char *const *env)
{
	if (h->pid > 0)
		return -1;
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (h->pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		for (size_t i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execl(HUBD_PATH, "hubd", "-c", h->conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		http_res r;
		int st;
		char url[128];
		if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
			h->pid = -1;
			break;
		}
		snprintf(url, sizeof(url), "%s/health/live", h->base);
		int ok = http_do("GET", url, NULL, NULL, 0, &r) == 0 &&
			 (r.status == 200 || hubproc_any_live_status);
		http_free(&r);
		if (ok)
			return 0;
		usleep(100 * 1000);
	}
	if (h->pid > 0)
		hubproc_stop(h, SIGKILL);
	print_log(h);
	return -1;
}

void hubproc_cleanup(hubproc *h)
{
	char cmd[400];
	if (h->pid > 0)
		hubproc_stop(h, SIGKILL);
	if (h->dir[0] && strncmp(h->dir, "/tmp/hubtest-", 13) == 0 &&
	    !getenv("HUB_KEEP_TEST_DIRS")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", h->dir);
	}
}

int hubproc_run(const char *const *argv, const char *stdin_text, char *out,
		size_t outlen)
{
	int inpipe[2], outpipe[2], st;
	size_t got = 0;
	pid_t pid;
	if (pipe(inpipe) != 0 || pipe(outpipe) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(inpipe[0], 0);
		dup2(outpipe[1], 1);
		dup2(outpipe[1], 2);
		close(inpipe[1]);
		close(outpipe[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(inpipe[0]);
	close(outpipe[1]);
	if (stdin_text) {
		ssize_t w = write(inpipe[1], stdin_text, strlen(stdin_text));
		(void)w;
	}
	close(inpipe[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(outpipe[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && got + 1 < outlen; i++)
			out[got++] = buf[i];
	}
	if (outlen)
		out[got < outlen ? got : outlen - 1] = 0;
	close(outpipe[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ------------------------------------------------------------- HTTP */

typedef struct buf {
	char *p;
	size_t n;
} buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	buf *b = ud;
	size_t add = size * nmemb;
	char *np = realloc(b->p, b->n + add + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, ptr, add);
	b->n += add;
	np[b->n] = 0;
	b->p = np;
	return add;
}

int http_do(const char *method, const char *url, const char *const *headers,
	    const char *body, size_t body_len, http_res *res)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	buf b = {NULL, 0}, hb = {NULL, 0};
	CURLcode rc;
	memset(res, 0, sizeof(*res));
	if (!c)
		return -1;
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	res->body = b.p ? b.p : strdup("");
	res->body_len = b.n;
	res->headers = hb.p ? hb.p : strdup("");
	return rc == CURLE_OK ? 0 : -1;
}

int http_header(const http_res *res, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = res->headers; p && *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = len - (size_t)(v - p);
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = 0;
			return 1;
		}
		p += len + (eol ? 2 : 0);
	}
	return 0;
}

void http_free(http_res *res)
{
	free(res->body);
	free(res->headers);
	res->body = res->headers = NULL;
}
