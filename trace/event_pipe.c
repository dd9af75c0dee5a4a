/* event_pipe.c - a one-producer, one-consumer ring of event batches: the
 * producer thread fills slot[filled % SLOTS] while the consumer drains
 * slot[drained % SLOTS]; they never touch the same slot (filled - drained is
 * kept between 0 and SLOTS under the mutex). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "event_pipe.h"

struct batch {
	struct heap_event ev[EVENT_PIPE_BATCH];
	uint64_t line[EVENT_PIPE_BATCH]; /* the line each event was read from */
	size_t n;                   /* events in ev */
	enum trace_read_status end; /* EVENT: more batches follow; else how the trace ended */
};

struct event_pipe {
	trace_reader *r;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t changed;       /* signalled when filled, drained or stop change */
	unsigned long filled;         /* batches the producer has published */
	unsigned long drained;        /* batches the consumer has finished with */
	bool stop;                    /* the consumer wants the producer gone */
	size_t pos;                   /* consumer: next event in the current batch */
	bool holding;                 /* consumer: slot[drained % SLOTS] is its current batch */
	uint64_t line;                /* consumer: line of the event last returned */
	struct batch slot[EVENT_PIPE_SLOTS];
};

static void *pipe_produce(void *arg)
{
	event_pipe *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->filled - p->drained == EVENT_PIPE_SLOTS && !p->stop)
			pthread_cond_wait(&p->changed, &p->mu);
		bool stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			return NULL;

		struct batch *b = &p->slot[p->filled % EVENT_PIPE_SLOTS];
		enum trace_read_status st = TRACE_READ_EVENT;
		b->n = 0;
		while (b->n < EVENT_PIPE_BATCH &&
		       (st = trace_reader_next(p->r, &b->ev[b->n])) == TRACE_READ_EVENT)
			b->line[b->n++] = trace_reader_line(p->r);
		b->end = st;

		pthread_mutex_lock(&p->mu);
		p->filled++;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->mu);
		if (st != TRACE_READ_EVENT)
			return NULL;
	}
}

event_pipe *event_pipe_start(trace_reader *r)
{
	event_pipe *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->r = r;
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto fail_mutex;
	if (pthread_cond_init(&p->changed, NULL) != 0)
		goto fail_cond;
	if (pthread_create(&p->thread, NULL, pipe_produce, p) != 0)
		goto fail_thread;
	return p;
fail_thread:
	pthread_cond_destroy(&p->changed);
fail_cond:
	pthread_mutex_destroy(&p->mu);
fail_mutex:
	free(p);
	return NULL;
}

enum trace_read_status event_pipe_next(event_pipe *p, struct heap_event *ev)
{
	for (;;) {
		if (p->holding) {
			struct batch *b = &p->slot[p->drained % EVENT_PIPE_SLOTS];
			if (p->pos < b->n) {
				p->line = b->line[p->pos];
				*ev = b->ev[p->pos++];
				return TRACE_READ_EVENT;
			}
			if (b->end != TRACE_READ_EVENT)
				return b->end; /* the producer has ended; keep saying so */
			pthread_mutex_lock(&p->mu);
			p->drained++;
			pthread_cond_broadcast(&p->changed);
			pthread_mutex_unlock(&p->mu);
			p->holding = false;
			p->pos = 0;
		}
		pthread_mutex_lock(&p->mu);
		while (p->filled == p->drained)
			pthread_cond_wait(&p->changed, &p->mu);
		pthread_mutex_unlock(&p->mu);
		p->holding = true;
	}
}

uint64_t event_pipe_line(const event_pipe *p)
{
	return p->line;
}

void event_pipe_stop(event_pipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
