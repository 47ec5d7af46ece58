/* feed.h - what every feed thread shares: handle, counters, options, idling */
#ifndef TW_FEED_H
#define TW_FEED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../include/ring_layout.h"
#include "ring.h"

#define TW_MAX_ARGS 32
#define TW_ERR_LEN 2048

enum { TW_IDLE_SPIN = 0, TW_IDLE_YIELD = 1, TW_IDLE_SLEEP = 2 };
enum { TW_POLICY_DROP = 0, TW_POLICY_BLOCK = 1 };

typedef struct {
  int kind;          /* TW_IDLE_* */
  uint32_t spins;    /* busy iterations before yielding/sleeping */
  uint32_t sleep_ns; /* nap length for TW_IDLE_SLEEP */
  uint32_t count;    /* consecutive idle iterations so far */
} tw_idler;

struct tw_feed;
typedef int (*tw_feed_fn)(struct tw_feed *f);

struct tw_feed {
  pthread_t thread;
  tw_producer prod;
  tw_feed_fn run;
  _Atomic uint32_t stop;               /* set by tw_feed_stop */
  _Atomic uint64_t stats[TW_STAT_COUNT];
  char error[TW_ERR_LEN];              /* written before state FAILED */
  int nargs;
  char *keys[TW_MAX_ARGS];
  char *vals[TW_MAX_ARGS];
  char *argbuf;
  tw_idler idle;
  int policy;                          /* TW_POLICY_* */
  int cpu;                             /* pin the feed thread here; -1: anywhere */
  int rt_priority;                     /* SCHED_FIFO priority; 0: ordinary */
  /* start handshake */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started;
  void *impl;                          /* feed-specific state */
};
typedef struct tw_feed tw_feed;

/* Options. */
const char *tw_arg(const tw_feed *f, const char *key);
int tw_arg_u64(tw_feed *f, const char *key, uint64_t def, uint64_t *out);
int tw_arg_f64(tw_feed *f, const char *key, double def, double *out);

/* Counters: single writer (the feed thread), relaxed stores. */
static inline void tw_stat_add(tw_feed *f, int i, uint64_t v) {
  /* relaxed: statistics only, no data is published through them. */
  atomic_fetch_add_explicit(&f->stats[i], v, memory_order_relaxed);
}
static inline void tw_stat_set(tw_feed *f, int i, uint64_t v) {
  /* relaxed: statistics only. */
  atomic_store_explicit(&f->stats[i], v, memory_order_relaxed);
}
static inline int tw_stopping(tw_feed *f) {
  /* acquire: pairs with the release store in tw_feed_stop. */
  return atomic_load_explicit(&f->stop, memory_order_acquire) != 0;
}

/* Marks the thread running and wakes tw_feed_start. */
void tw_feed_ready(tw_feed *f);
/* Records an error; if the thread has not signalled ready, wakes the
 * starter with a failure. Returns TW_EIO. */
/* HOST:PORT (IPv4, [IPv6] or localhost) -> address; 0, or -1 if malformed. */
int tw_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *sl);

int tw_feed_fail(tw_feed *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One idle step: spin, then yield or sleep, per the strategy. */
void tw_idle_step(tw_feed *f);
static inline void tw_idle_reset(tw_feed *f) { f->idle.count = 0; }

/*
 * Reserves a record honouring the full-ring policy. Counts the offer.
 * Returns NULL when the record is dropped (counted) or the feed is stopping.
 */
uint8_t *tw_feed_reserve(tw_feed *f, uint32_t len);
/* Commits a reserved record and counts it as pushed. */
void tw_feed_commit(tw_feed *f, uint32_t len, uint64_t rx_ns);

uint64_t tw_mono_ns(void);
uint64_t tw_real_ns(void);
void tw_sleep_ns(uint64_t ns);

/* Feed implementations. */
int tw_run_pattern(tw_feed *f);
int tw_run_synth(tw_feed *f);
int tw_run_udp(tw_feed *f);
int tw_run_pcap(tw_feed *f);
int tw_run_dpdk(tw_feed *f);

/* Classifies one Ethernet frame and pushes its UDP payload (feed_pcap.c). */
void tw_feed_packet(tw_feed *f, const uint8_t *pkt, uint32_t len,
                    uint16_t port, uint64_t rx_ns);



static inline uint64_t tw_stat_peek(tw_feed *f, int i) {
  /* relaxed: the feed thread reading its own counter. */
  return atomic_load_explicit(&f->stats[i], memory_order_relaxed);
}
#endif
