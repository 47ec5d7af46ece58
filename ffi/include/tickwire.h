/*
 * tickwire.h - the public C API of libtickwire.
 *
 * libtickwire owns the receive side of tickwire: feed threads (synthetic
 * generator, kernel UDP, pcap replay, DPDK) that write frames into a
 * lock-free single-producer/single-consumer ring laid over memory the caller
 * supplies (in practice a JavaScript SharedArrayBuffer). The ring layout is
 * written down once, in ring_layout.h, and mirrored by src/ring/layout.ts.
 *
 * Threads: "any thread" means any thread of the process; functions that take
 * a tw_feed handle must not race with tw_feed_stop() on the same handle.
 * Every function is non-blocking unless it says otherwise.
 */
#ifndef TICKWIRE_H
#define TICKWIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TW_API __attribute__((visibility("default")))
#else
#define TW_API
#endif

/* Bumped whenever a signature, a stats index or the ring layout changes. */
#define TW_ABI_VERSION 8u

/* Return codes (negative errno-style values). */
#define TW_OK 0
#define TW_EINVAL (-22)      /* bad argument, bad layout */
#define TW_ENOMEM (-12)      /* out of memory */
#define TW_ENOTSUP (-95)     /* feature not compiled in (e.g. DPDK) */
#define TW_EIO (-5)          /* I/O or driver failure; see tw_feed_error */
#define TW_ERANGE (-34)      /* size out of range */

/* Opaque handle of a running feed thread. */
typedef struct tw_feed tw_feed;

/* ABI version of the loaded library (TW_ABI_VERSION). Any thread. */
TW_API uint32_t tw_abi_version(void);

/* Build features: bit 0 = DPDK receive path compiled in. Any thread. */
TW_API uint32_t tw_features(void);

/*
 * Layout facts for the agreement test (TW_LAYOUT_* keys in ring_layout.h):
 * returns the value, or -1 for an unknown key. Any thread.
 */
TW_API int64_t tw_layout(int32_t key);

/*
 * Name of feed counter `i` (TW_STAT_LIST order) or of feed state `i`
 * (TW_STATE_LIST order), lower case; NULL past the end. Any thread.
 */
TW_API const char *tw_stat_name(int32_t i);
TW_API const char *tw_state_name(int32_t i);

/*
 * Validates a ring header written by TypeScript (or tw_ring_init) in the
 * `len` bytes at `mem`. Returns TW_OK, or TW_EINVAL (bad magic/version,
 * capacity not a power of two, buffer too small) or TW_ERANGE (max record
 * does not fit). Any thread.
 */
TW_API int32_t tw_ring_check(const void *mem, uint64_t len);

/*
 * Consumer side of the ring at `mem` (validated as by tw_ring_check): parks
 * the calling thread until the producer publishes, tw_ring_wake is called,
 * or `timeout_ns` passes (the handshake is in ring_layout.h). Returns 1 when
 * records (or the end) were already there, 0 after a wait, <0 on a bad ring.
 * Blocks: call it from the consumer's own thread (a Worker).
 */
TW_API int32_t tw_ring_park(void *mem, uint64_t len, uint64_t timeout_ns);

/* Wakes a consumer parked in tw_ring_park on that ring. Any thread. */
TW_API int32_t tw_ring_wake(void *mem, uint64_t len);

/*
 * Starts a feed thread that produces into the ring at `mem` (validated as by
 * tw_ring_check). `kind` is one of "pattern", "synth", "udp", "pcap", "dpdk";
 * `args` holds newline-separated key=value options (parsed in feed.c; each feed_*.c documents its keys).
 * Blocks until the thread is running or has failed to start (DPDK EAL
 * initialisation happens on the new thread, never on the caller's).
 * Returns a handle, or NULL with the reason in tw_last_error(). When the
 * handle is returned the feed may still have failed later: see tw_feed_stats.
 * Any thread; the ring memory must outlive the handle.
 */
TW_API tw_feed *tw_feed_start(const char *kind, void *mem, uint64_t len,
                              const char *args);

/*
 * Copies up to `n` counters (TW_STAT_* indices in ring_layout.h) into
 * `out`. Returns how many were written. Counters are updated by the feed
 * thread with relaxed atomics; each value is consistent on its own.
 * Any thread.
 */
TW_API int32_t tw_feed_stats(tw_feed *feed, uint64_t *out, int32_t n);

/*
 * Copies the feed's error text (empty when none) into buf, NUL terminated.
 * Returns the full length of the text. Any thread.
 */
TW_API int32_t tw_feed_error(tw_feed *feed, char *buf, int32_t len);

/*
 * Asks the feed thread to stop, waits for it (blocking, bounded by the
 * thread's idle sleep), marks the ring closed, copies up to `n` final
 * counters into `final_stats` (may be NULL) and frees the handle.
 * Returns TW_OK. Call once, from the thread that started the feed.
 */
TW_API int32_t tw_feed_stop(tw_feed *feed, uint64_t *final_stats, int32_t n);

/* Error text of the last failed tw_feed_start on this thread. */
TW_API int32_t tw_last_error(char *buf, int32_t len);

/*
 * Idle helper for TypeScript consumers: sched_yield() when ns == 0,
 * otherwise nanosleep(ns). Blocking for at most ns. Any thread.
 */
TW_API void tw_idle(uint32_t ns);

/*
 * Sets the calling thread's timer slack (prctl PR_SET_TIMERSLACK) so short
 * sleeps last about as long as asked: Linux rounds them up by 50 us by
 * default. Returns TW_OK or a negative errno. Calling thread only.
 */
TW_API int32_t tw_thread_timer_slack(uint32_t ns);

/*
 * Pins the calling thread to CPU `cpu` (sched_setaffinity). Returns TW_OK,
 * or a negative errno (-EINVAL for a CPU this machine does not have).
 * Calling thread only. Feeds take the option cpu=N for their own thread.
 */
TW_API int32_t tw_thread_pin(int32_t cpu);

/*
 * Puts the calling thread in the real-time class SCHED_FIFO at `priority`
 * (1..99): it then runs as soon as it is runnable, ahead of every ordinary
 * thread on its CPU, until it blocks. Only for threads that block when idle
 * (a spinning FIFO thread keeps its CPU to itself, up to the kernel's RT
 * throttling, 95 % by default). Needs root or CAP_SYS_NICE (or an RLIMIT_RTPRIO
 * that allows it). Returns TW_OK, -EINVAL for a priority out of range, or
 * a negative errno (-EPERM: not allowed). Calling thread only. Feeds take
 * the option rt_priority=N for their own thread.
 */
TW_API int32_t tw_thread_rt(int32_t priority);

/* CLOCK_MONOTONIC in nanoseconds, the clock of rx stamps. Any thread. */
TW_API double tw_now_ns(void);

/*
 * A small UDP client for request/response side channels (MoldUDP64
 * re-requests): tw_udp_open connects a non-blocking socket to HOST:PORT
 * (IPv4 or [IPv6]) and returns its descriptor, or a negative errno
 * (TW_EINVAL for a bad address). tw_udp_send sends one datagram (returns
 * its length or a negative errno); tw_udp_recv takes one datagram of up to
 * `cap` bytes without waiting (its length, 0 when none is queued, or a
 * negative errno); tw_udp_close closes it. The thread that owns the socket.
 */
TW_API int32_t tw_udp_open(const char *hostport);
TW_API int32_t tw_udp_send(int32_t fd, const uint8_t *buf, int32_t len);
TW_API int32_t tw_udp_recv(int32_t fd, uint8_t *buf, int32_t cap);
TW_API int32_t tw_udp_close(int32_t fd);

#ifdef __cplusplus
}
#endif
#endif /* TICKWIRE_H */
