/*
 * wh_receiver.h - a webhook receiver for the tests: a plain HTTP server on
 * a free loopback port (its own thread) that records every POST and
 * answers according to its mode. Signature checking is written here from
 * the Standard Webhooks convention, independently of the server's code.
 */
#ifndef WH_RECEIVER_H
#define WH_RECEIVER_H

#include <pthread.h>
#include <stddef.h>

enum rcv_mode { RCV_OK = 0, RCV_FAIL, RCV_REDIRECT, RCV_SLOW };

#define RCV_MAX 256

typedef struct rcv_hit {
	char id[80];   /* webhook-id */
	char ts[24];   /* webhook-timestamp */
	char sig[200]; /* webhook-signature */
	char *body;    /* owned */
	int answered;  /* status sent back */
} rcv_hit;

typedef struct receiver {
	int fd, port;
	volatile int mode, stop;
	char redirect_to[128];
	pthread_t th;
	pthread_mutex_t mu;
	int n;
	rcv_hit hits[RCV_MAX];
} receiver;

/* Starts on 127.0.0.1 at a free port. Returns 0 or -1. */
int rcv_start(receiver *r);
/* Stops the thread and frees the bodies. */
void rcv_stop(receiver *r);
/* Number of requests so far. */
int rcv_count(receiver *r);
/* 1 when hit's signature verifies under `secret` ("whsec_..."). */
int rcv_verify(const rcv_hit *h, const char *secret);

#endif
