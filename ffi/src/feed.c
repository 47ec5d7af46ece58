/* feed.c - the exported API: feed lifecycle, counters, options, idling. */
#define _GNU_SOURCE
#include <ctype.h>
#include "feed.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../include/tickwire.h"
#include "wire.h"

static _Thread_local char last_error[TW_ERR_LEN];

uint64_t tw_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t tw_real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tw_sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000ull),
                        (long)(ns % 1000000000ull)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

TW_API uint32_t tw_abi_version(void) { return TW_ABI_VERSION; }

TW_API uint32_t tw_features(void) {
#ifdef TW_HAVE_DPDK
  return 1u;
#else
  return 0u;
#endif
}

TW_API int64_t tw_layout(int32_t key) {
  switch (key) {
    case TW_LAYOUT_MAGIC: return TW_RING_MAGIC;
    case TW_LAYOUT_VERSION: return TW_RING_VERSION;
    case TW_LAYOUT_OFF_CAPACITY: return TW_RING_OFF_CAPACITY;
    case TW_LAYOUT_OFF_MAX_RECORD: return TW_RING_OFF_MAX_RECORD;
    case TW_LAYOUT_OFF_WRITE: return TW_RING_OFF_WRITE;
    case TW_LAYOUT_OFF_CLOSED: return TW_RING_OFF_CLOSED;
    case TW_LAYOUT_OFF_DROPS: return TW_RING_OFF_DROPS;
    case TW_LAYOUT_OFF_PUBLISHED: return TW_RING_OFF_PUBLISHED;
    case TW_LAYOUT_OFF_READ: return TW_RING_OFF_READ;
    case TW_LAYOUT_DATA_OFF: return TW_RING_DATA_OFF;
    case TW_LAYOUT_REC_HDR: return TW_REC_HDR;
    case TW_LAYOUT_ALIGN: return TW_RING_ALIGN;
    case TW_LAYOUT_MIN_CAPACITY: return TW_RING_MIN_CAPACITY;
    case TW_LAYOUT_TICK_SIZE: return TW_TICK_SIZE;
    case TW_LAYOUT_FRAME_HDR_SIZE: return TW_FRAME_FIXED;
    case TW_LAYOUT_STAT_COUNT: return TW_STAT_COUNT;
    case TW_LAYOUT_REC_OFF_LEN: return TW_REC_OFF_LEN;
    case TW_LAYOUT_REC_OFF_TYPE: return TW_REC_OFF_TYPE;
    case TW_LAYOUT_REC_OFF_SOURCE: return TW_REC_OFF_SOURCE;
    case TW_LAYOUT_REC_OFF_RX_LO: return TW_REC_OFF_RX_LO;
    case TW_LAYOUT_REC_OFF_RX_HI: return TW_REC_OFF_RX_HI;
    case TW_LAYOUT_STATE_COUNT: return TW_STATE_COUNT;
    case TW_LAYOUT_OFF_WAKE: return TW_RING_OFF_WAKE;
    case TW_LAYOUT_OFF_SLEEPING: return TW_RING_OFF_SLEEPING;
    default: return -1;
  }
}

/* Names from the same lists that number the enums, so they cannot drift. */
#define TW_NAME_(n) #n,
static const char *const stat_names[] = {TW_STAT_LIST(TW_NAME_)};
static const char *const state_names[] = {TW_STATE_LIST(TW_NAME_)};
_Static_assert(sizeof stat_names / sizeof *stat_names == TW_STAT_COUNT, "stat names");
_Static_assert(sizeof state_names / sizeof *state_names == TW_STATE_COUNT, "state names");

/* Lower-case copies, made once (names are short upper-case identifiers). */
static char stat_lower[TW_STAT_COUNT][32], state_lower[TW_STATE_COUNT][32];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void lower_into(char (*dst)[32], const char *const *src, int n) {
  for (int i = 0; i < n; i++) {
    size_t k = 0;
    for (; src[i][k] && k < 31; k++) dst[i][k] = (char)tolower((unsigned char)src[i][k]);
    dst[i][k] = 0;
  }
}

static void make_names(void) {
  lower_into(stat_lower, stat_names, TW_STAT_COUNT);
  lower_into(state_lower, state_names, TW_STATE_COUNT);
}

TW_API const char *tw_stat_name(int32_t i) {
  if (i < 0 || i >= TW_STAT_COUNT) return NULL;
  pthread_once(&names_once, make_names);
  return stat_lower[i];
}

TW_API const char *tw_state_name(int32_t i) {
  if (i < 0 || i >= TW_STATE_COUNT) return NULL;
  pthread_once(&names_once, make_names);
  return state_lower[i];
}

TW_API int32_t tw_ring_check(const void *mem, uint64_t len) {
  return tw_ring_validate(mem, len);
}

TW_API int32_t tw_ring_park(void *mem, uint64_t len, uint64_t timeout_ns) {
  int rc = tw_ring_validate(mem, len);
  return rc != TW_OK ? rc : tw_ring_park_mem(mem, timeout_ns);
}

TW_API int32_t tw_ring_wake(void *mem, uint64_t len) {
  int rc = tw_ring_validate(mem, len);
  if (rc == TW_OK) tw_ring_wake_mem(mem);
  return rc;
}

TW_API int32_t tw_last_error(char *buf, int32_t len) {
  if (buf && len > 0) snprintf(buf, (size_t)len, "%s", last_error);
  return (int32_t)strlen(last_error);
}

TW_API void tw_idle(uint32_t ns) {
  if (ns == 0)
    sched_yield();
  else
    tw_sleep_ns(ns);
}

TW_API int32_t tw_thread_timer_slack(uint32_t ns) {
  if (prctl(PR_SET_TIMERSLACK, (unsigned long)(ns ? ns : 1), 0, 0, 0) != 0)
    return -errno;
  return TW_OK;
}

TW_API int32_t tw_thread_pin(int32_t cpu) {
  long n = sysconf(_SC_NPROCESSORS_CONF);
  if (cpu < 0 || cpu >= CPU_SETSIZE || (n > 0 && cpu >= n)) return TW_EINVAL;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return -errno;
  return TW_OK;
}

TW_API int32_t tw_thread_rt(int32_t priority) {
  if (priority < sched_get_priority_min(SCHED_FIFO) ||
      priority > sched_get_priority_max(SCHED_FIFO))
    return TW_EINVAL;
  struct sched_param sp = {.sched_priority = priority};
  int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  return rc == 0 ? TW_OK : -rc;
}

TW_API double tw_now_ns(void) { return (double)tw_mono_ns(); }

/* ---- options: "key=value" lines ---- */

static int parse_args(tw_feed *f, const char *args) {
  f->argbuf = strdup(args ? args : "");
  if (!f->argbuf) return TW_ENOMEM;
  char *save = NULL;
  for (char *line = strtok_r(f->argbuf, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (!eq || eq == line) {
      snprintf(last_error, sizeof last_error, "bad feed option line '%s'",
               line);
      return TW_EINVAL;
    }
    if (f->nargs == TW_MAX_ARGS) {
      snprintf(last_error, sizeof last_error, "too many feed options");
      return TW_EINVAL;
    }
    *eq = '\0';
    f->keys[f->nargs] = line;
    f->vals[f->nargs] = eq + 1;
    f->nargs++;
  }
  return TW_OK;
}

const char *tw_arg(const tw_feed *f, const char *key) {
  for (int i = f->nargs - 1; i >= 0; i--)
    if (strcmp(f->keys[i], key) == 0) return f->vals[i];
  return NULL;
}

int tw_arg_u64(tw_feed *f, const char *key, uint64_t def, uint64_t *out) {
  const char *v = tw_arg(f, key);
  if (!v) {
    *out = def;
    return TW_OK;
  }
  char *end = NULL;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || !end || *end || v[0] == '-' || v[0] == '\0')
    return tw_feed_fail(f, "option %s: '%s' is not a whole number", key, v);
  *out = (uint64_t)x;
  return TW_OK;
}

int tw_arg_f64(tw_feed *f, const char *key, double def, double *out) {
  const char *v = tw_arg(f, key);
  if (!v) {
    *out = def;
    return TW_OK;
  }
  char *end = NULL;
  errno = 0;
  double x = strtod(v, &end);
  if (errno || !end || *end || v[0] == '\0' || !(x >= 0))
    return tw_feed_fail(f, "option %s: '%s' is not a number >= 0", key, v);
  *out = x;
  return TW_OK;
}

/* ---- lifecycle ---- */

void tw_feed_ready(tw_feed *f) {
  tw_stat_set(f, TW_STAT_STATE, TW_STATE_RUNNING);
  pthread_mutex_lock(&f->mu);
  f->started = 1;
  pthread_cond_signal(&f->cv);
  pthread_mutex_unlock(&f->mu);
}

int tw_feed_fail(tw_feed *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->error, sizeof f->error, fmt, ap);
  va_end(ap);
  /* The mutex orders the error text before the state for the starter;
   * other readers load STATE (relaxed) and may see FAILED a little late. */
  pthread_mutex_lock(&f->mu);
  tw_stat_set(f, TW_STAT_STATE, TW_STATE_FAILED);
  if (!f->started) f->started = -1;
  pthread_cond_signal(&f->cv);
  pthread_mutex_unlock(&f->mu);
  return TW_EIO;
}

static void *feed_main(void *arg) {
  tw_feed *f = (tw_feed *)arg;
  /* Naps of a few microseconds should not become 50 us (Linux default). */
  tw_thread_timer_slack(1000);
  int rc = TW_OK, err;
  if (f->cpu >= 0 && tw_thread_pin(f->cpu) != TW_OK)
    rc = tw_feed_fail(f, "cannot pin the feed thread to CPU %d", f->cpu);
  else if (f->rt_priority > 0 && (err = tw_thread_rt(f->rt_priority)) != TW_OK)
    rc = tw_feed_fail(f,
                      "cannot give the feed thread real-time priority %d: %s "
                      "(needs root or CAP_SYS_NICE)",
                      f->rt_priority, strerror(-err));
  else
    rc = f->run(f);
  tw_producer_close(&f->prod);
  uint64_t st = atomic_load_explicit(&f->stats[TW_STAT_STATE],
                                     memory_order_relaxed); /* own counter */
  if (rc == TW_OK && st != TW_STATE_FAILED)
    tw_stat_set(f, TW_STAT_STATE,
                tw_stopping(f) ? TW_STATE_STOPPED : TW_STATE_EOF);
  else if (st != TW_STATE_FAILED)
    tw_feed_fail(f, "feed ended with error %d", rc);
  pthread_mutex_lock(&f->mu);
  if (!f->started) f->started = 1;
  pthread_cond_signal(&f->cv);
  pthread_mutex_unlock(&f->mu);
  return NULL;
}

static void feed_free(tw_feed *f) {
  pthread_mutex_destroy(&f->mu);
  pthread_cond_destroy(&f->cv);
  free(f->argbuf);
  free(f);
}

static int parse_common(tw_feed *f) {
  const char *idle = tw_arg(f, "idle");
  uint64_t spins, sleep_ns, cpu;
  if (tw_arg_u64(f, "cpu", UINT64_MAX, &cpu)) return TW_EINVAL;
  f->cpu = cpu == UINT64_MAX ? -1 : (int)(cpu > 1023 ? 1023 : cpu);
  uint64_t rt;
  if (tw_arg_u64(f, "rt_priority", 0, &rt)) return TW_EINVAL;
  if (rt > 99)
    return tw_feed_fail(f, "rt_priority must be 1..99, not %llu",
                        (unsigned long long)rt);
  f->rt_priority = (int)rt;
  if (!idle || strcmp(idle, "sleep") == 0)
    f->idle.kind = TW_IDLE_SLEEP;
  else if (strcmp(idle, "yield") == 0)
    f->idle.kind = TW_IDLE_YIELD;
  else if (strcmp(idle, "spin") == 0)
    f->idle.kind = TW_IDLE_SPIN;
  else
    return tw_feed_fail(f, "idle must be spin, yield or sleep, not '%s'",
                        idle);
  if (tw_arg_u64(f, "spins", 200, &spins) ||
      tw_arg_u64(f, "sleep_ns", 100000, &sleep_ns))
    return TW_EINVAL;
  f->idle.spins = (uint32_t)spins;
  f->idle.sleep_ns = (uint32_t)(sleep_ns ? sleep_ns : 1);
  const char *pol = tw_arg(f, "policy");
  if (!pol || strcmp(pol, "drop") == 0)
    f->policy = TW_POLICY_DROP;
  else if (strcmp(pol, "block") == 0)
    f->policy = TW_POLICY_BLOCK;
  else
    return tw_feed_fail(f, "policy must be drop or block, not '%s'", pol);
  return TW_OK;
}

TW_API tw_feed *tw_feed_start(const char *kind, void *mem, uint64_t len,
                              const char *args) {
  last_error[0] = '\0';
  if (!kind) {
    snprintf(last_error, sizeof last_error, "no feed kind given");
    return NULL;
  }
  tw_feed_fn run = NULL;
  uint16_t src = 0;
  if (strcmp(kind, "pattern") == 0) {
    run = tw_run_pattern;
    src = TW_SRC_PATTERN;
  } else if (strcmp(kind, "synth") == 0) {
    run = tw_run_synth;
    src = TW_SRC_SYNTH;
  } else if (strcmp(kind, "udp") == 0) {
    run = tw_run_udp;
    src = TW_SRC_UDP;
  } else if (strcmp(kind, "pcap") == 0) {
    run = tw_run_pcap;
    src = TW_SRC_PCAP;
  } else if (strcmp(kind, "dpdk") == 0) {
#ifdef TW_HAVE_DPDK
    run = tw_run_dpdk;
    src = TW_SRC_DPDK;
#else
    snprintf(last_error, sizeof last_error,
             "this libtickwire was built without DPDK: install it "
             "(Debian: apt-get install -y libdpdk-dev dpdk pkg-config) and "
             "rebuild with 'deno task build'");
    return NULL;
#endif
  } else {
    snprintf(last_error, sizeof last_error, "unknown feed kind '%s'", kind);
    return NULL;
  }
  tw_feed *f = calloc(1, sizeof *f);
  if (!f) {
    snprintf(last_error, sizeof last_error, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&f->mu, NULL);
  pthread_cond_init(&f->cv, NULL);
  f->run = run;
  int rc = tw_producer_attach(&f->prod, mem, len, src);
  if (rc != TW_OK) {
    snprintf(last_error, sizeof last_error,
             "ring memory is not a valid tickwire ring (error %d)", rc);
    feed_free(f);
    return NULL;
  }
  if (parse_args(f, args) != TW_OK || parse_common(f) != TW_OK) {
    if (f->error[0]) snprintf(last_error, sizeof last_error, "%s", f->error);
    feed_free(f);
    return NULL;
  }
  if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
    snprintf(last_error, sizeof last_error, "pthread_create failed");
    feed_free(f);
    return NULL;
  }
  /* named for top -H and the bench's per-thread CPU; a failure only loses the name */
  (void)pthread_setname_np(f->thread, "tw-rx");
  pthread_mutex_lock(&f->mu);
  while (f->started == 0) pthread_cond_wait(&f->cv, &f->mu);
  int ok = f->started > 0;
  pthread_mutex_unlock(&f->mu);
  if (!ok) {
    snprintf(last_error, sizeof last_error, "%s", f->error);
    pthread_join(f->thread, NULL);
    feed_free(f);
    return NULL;
  }
  return f;
}

TW_API int32_t tw_feed_stats(tw_feed *f, uint64_t *out, int32_t n) {
  if (!f || !out || n <= 0) return 0;
  if (n > TW_STAT_COUNT) n = TW_STAT_COUNT;
  for (int32_t i = 0; i < n; i++)
    /* relaxed: each counter is read on its own. */
    out[i] = atomic_load_explicit(&f->stats[i], memory_order_relaxed);
  return n;
}

TW_API int32_t tw_feed_error(tw_feed *f, char *buf, int32_t len) {
  if (!f) return 0;
  /* acquire-ish: the text is written before STATE is set to FAILED; a
   * reader that saw FAILED through tw_feed_stats may read it. */
  atomic_thread_fence(memory_order_acquire);
  if (buf && len > 0) snprintf(buf, (size_t)len, "%s", f->error);
  return (int32_t)strlen(f->error);
}

TW_API int32_t tw_feed_stop(tw_feed *f, uint64_t *final_stats, int32_t n) {
  if (!f) return TW_EINVAL;
  /* release: pairs with the acquire load in tw_stopping. */
  atomic_store_explicit(&f->stop, 1, memory_order_release);
  pthread_join(f->thread, NULL);
  tw_feed_stats(f, final_stats, n);
  feed_free(f);
  return TW_OK;
}

/* ---- idling and the full-ring policy ---- */

void tw_idle_step(tw_feed *f) {
  tw_idler *d = &f->idle;
  if (d->count < d->spins || d->kind == TW_IDLE_SPIN) {
    d->count++;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return;
  }
  tw_stat_add(f, TW_STAT_NAPS, 1);
  if (d->kind == TW_IDLE_YIELD) {
    sched_yield();
    return;
  }
  /* Sleep with exponential backoff: 1 us, 2 us, 4 us ... up to sleep_ns,
   * so a short lull costs little latency and a long one little CPU. */
  uint32_t k = d->count - d->spins;
  uint64_t nap = k >= 20 ? d->sleep_ns : (uint64_t)1000u << k;
  if (nap > d->sleep_ns) nap = d->sleep_ns;
  d->count++;
  tw_sleep_ns(nap);
}

uint8_t *tw_feed_reserve(tw_feed *f, uint32_t len) {
  tw_stat_add(f, TW_STAT_OFFERED, 1);
  uint8_t *p = tw_producer_reserve(&f->prod, len);
  if (p) return p;
  if (len == 0 || len > f->prod.max_record) {
    tw_stat_add(f, TW_STAT_MALFORMED, 1);
    return NULL;
  }
  if (f->policy == TW_POLICY_BLOCK) {
    /* Let the consumer see what we already have, then back off. */
    tw_producer_publish(&f->prod);
    tw_idle_reset(f);
    while (!tw_stopping(f)) {
      tw_idle_step(f);
      p = tw_producer_reserve(&f->prod, len);
      if (p) return p;
    }
  }
  tw_producer_count_drop(&f->prod);
  tw_stat_add(f, TW_STAT_RING_DROPS, 1);
  return NULL;
}

void tw_feed_commit(tw_feed *f, uint32_t len, uint64_t rx_ns) {
  tw_producer_commit(&f->prod, len, rx_ns);
  tw_stat_add(f, TW_STAT_PUSHED, 1);
  tw_stat_add(f, TW_STAT_BYTES, len);
  tw_stat_set(f, TW_STAT_LAST_RX_NS, rx_ns);
}
