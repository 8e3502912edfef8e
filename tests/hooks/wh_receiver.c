/*
 * wh_receiver.c - see wh_receiver.h.
 */
#define _GNU_SOURCE
#include "wh_receiver.h"

#include <arpa/inet.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Copies header `name` of the request head into out. */
static void header(const char *head, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	const char *p = head;
	out[0] = 0;
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
			const char *v = p + len + 1, *e;
			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, n, "%.*s",
				 (int)(e ? e - v : (long)strlen(v)), v);
			return;
		}
	}
}

/* Reads one request from fd; *body owned. Returns 0 or -1. */
static int read_request(int fd, char *head, size_t headlen, char **body)
{
	size_t got = 0, clen, have;
	char *end = NULL, cl[24];
	*body = NULL;
	while (!end && got < headlen - 1) {
		ssize_t k = read(fd, head + got, headlen - 1 - got);
		if (k <= 0)
			return -1;
		got += (size_t)k;
		head[got] = 0;
		end = strstr(head, "\r\n\r\n");
	}
	if (!end)
		return -1;
	header(head, "Content-Length", cl, sizeof(cl));
	clen = (size_t)atol(cl);
	*body = calloc(1, clen + 1);
	if (!*body)
		return -1;
	have = got - (size_t)(end + 4 - head);
	memcpy(*body, end + 4, have < clen ? have : clen);
	while (have < clen) {
		ssize_t k = read(fd, *body + have, clen - have);
		if (k <= 0)
			return -1;
		have += (size_t)k;
	}
	end[2] = 0; /* keep the header block only */
	return 0;
}

/* 1 when the peer has closed its side (it timed out waiting). */
static int gone(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP));
}

static void serve(receiver *r, int fd)
{
	char head[8192], out[512];
	char *body = NULL;
	int mode = r->mode, status;
	if (read_request(fd, head, sizeof(head), &body) != 0) {
		free(body);
		return;
	}
	if (mode == RCV_SLOW)
		sleep(3);
	if (gone(fd))
		mode = RCV_SLOW; /* the sender gave up: not a success */
	status = mode == RCV_OK		? 200
		 : mode == RCV_FAIL	? 500
		 : mode == RCV_REDIRECT ? 302
					: 200;
	pthread_mutex_lock(&r->mu);
	if (r->n < RCV_MAX) {
		rcv_hit *h = &r->hits[r->n++];
		header(head, "webhook-id", h->id, sizeof(h->id));
		header(head, "webhook-timestamp", h->ts, sizeof(h->ts));
		header(head, "webhook-signature", h->sig, sizeof(h->sig));
		h->body = body;
		h->answered = mode == RCV_SLOW ? 0 : status; /* client gone */
		body = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	free(body);
	snprintf(out, sizeof(out),
		 "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: "
		 "close\r\n%s%s%s\r\nok",
		 status, mode == RCV_REDIRECT ? "Location: " : "",
		 mode == RCV_REDIRECT ? r->redirect_to : "",
		 mode == RCV_REDIRECT ? "\r\n" : "");
	if (write(fd, out, strlen(out)) < 0)
		return;
}

static void *loop(void *ud)
{
	receiver *r = ud;
	while (!r->stop) {
		struct pollfd p = {r->fd, POLLIN, 0};
		int c;
		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(r->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve(r, c);
		close(c);
	}
	return NULL;
}

int rcv_start(receiver *r)
{
	struct sockaddr_in a = {0};
	socklen_t al = sizeof(a);
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(r->fd, 16) != 0 ||
	    getsockname(r->fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	r->port = ntohs(a.sin_port);
	return pthread_create(&r->th, NULL, loop, r) == 0 ? 0 : -1;
}

void rcv_stop(receiver *r)
{
	r->stop = 1;
	pthread_join(r->th, NULL);
	close(r->fd);
	for (int i = 0; i < r->n; i++)
		free(r->hits[i].body);
	pthread_mutex_destroy(&r->mu);
}

int rcv_count(receiver *r)
{
	int n;
	pthread_mutex_lock(&r->mu);
	n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

int rcv_verify(const rcv_hit *h, const char *secret)
{
	unsigned char key[128], mac[32], b64[64];
	size_t klen = 0, blen = 0;
	char *msg;
	int ok = 0;
	if (strncmp(secret, "whsec_", 6) != 0 ||
	    mbedtls_base64_decode(key, sizeof(key), &klen,
				  (const unsigned char *)secret + 6,
				  strlen(secret) - 6) != 0)
		return 0;
	if (asprintf(&msg, "%s.%s.%s", h->id, h->ts, h->body) < 0)
		return 0;
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key,
			    klen, (unsigned char *)msg, strlen(msg),
			    mac) == 0 &&
	    mbedtls_base64_encode(b64, sizeof(b64), &blen, mac, 32) == 0) {
		/* the header may carry several space-separated signatures */
		char want[80];
		snprintf(want, sizeof(want), "v1,%s", (char *)b64);
		for (char *p = strstr(h->sig, want); p && !ok;
		     p = strstr(p + 1, want)) {
			char after = p[strlen(want)];
			ok = (p == h->sig || p[-1] == ' ') &&
			     (after == 0 || after == ' ');
		}
	}
	free(msg);
	return ok;
}
