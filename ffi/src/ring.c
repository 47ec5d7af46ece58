/* ring.c - producer side of the SPSC ring; layout in include/ring_layout.h */
#define _GNU_SOURCE
#include "ring.h"

#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../include/tickwire.h"

static inline uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

int tw_ring_validate(const void *mem, uint64_t len) {
  const uint8_t *b = (const uint8_t *)mem;
  if (mem == NULL || len < TW_RING_DATA_OFF) return TW_EINVAL;
  /* V8 only guarantees 16-byte alignment for SharedArrayBuffers; the
   * 128-byte spacing of the index blocks keeps them on separate lines. */
  if (((uintptr_t)mem & 15u) != 0) return TW_EINVAL;
  if (rd32(b + TW_RING_OFF_MAGIC) != TW_RING_MAGIC) return TW_EINVAL;
  if (rd32(b + TW_RING_OFF_VERSION) != TW_RING_VERSION) return TW_EINVAL;
  if (rd32(b + TW_RING_OFF_DATA_OFF) != TW_RING_DATA_OFF) return TW_EINVAL;
  uint32_t cap = rd32(b + TW_RING_OFF_CAPACITY);
  if (cap < TW_RING_MIN_CAPACITY || (cap & (cap - 1)) != 0 ||
      cap > (1u << 30))
    return TW_EINVAL;
  if ((uint64_t)TW_RING_DATA_OFF + cap > len) return TW_EINVAL;
  uint32_t maxr = rd32(b + TW_RING_OFF_MAX_RECORD);
  if (maxr == 0 || maxr > cap / 4) return TW_ERANGE;
  return TW_OK;
}

int tw_producer_attach(tw_producer *p, void *mem, uint64_t len,
                       uint16_t source) {
  int rc = tw_ring_validate(mem, len);
  if (rc != TW_OK) return rc;
  memset(p, 0, sizeof(*p));
  tw_ring_mem *r = (tw_ring_mem *)mem; /* 16-byte aligned: checked above */
  p->base = (uint8_t *)mem;
  p->data = p->base + sizeof(tw_ring_mem);
  p->write = &r->producer.write;
  p->read = &r->consumer.read;
  p->closed = &r->producer.closed;
  p->drops = &r->producer.drops;
  p->published = &r->producer.published;
  p->wake = &r->producer.wake;
  p->sleeping = &r->consumer.sleeping;
  p->capacity = r->header.capacity;
  p->mask = p->capacity - 1;
  p->max_record = r->header.max_record;
  /* relaxed: we are the only writer of `write`; a re-attached producer
   * continues from the published index. */
  p->head = atomic_load_explicit(p->write, memory_order_relaxed);
  /* acquire: pairs with the consumer's release store of the read index, so
   * bytes it has finished with are not overwritten early. */
  p->read_cache = atomic_load_explicit(p->read, memory_order_acquire);
  p->source = source;
  return TW_OK;
}

static void wake(_Atomic uint32_t *w);

static inline uint32_t rec_size(uint32_t len) {
  return (TW_REC_HDR + len + (TW_RING_ALIGN - 1)) & ~(TW_RING_ALIGN - 1);
}

/* Free bytes according to the cached read index, refreshed when short. */
static inline int has_room(tw_producer *p, uint32_t need) {
  if (p->capacity - (p->head - p->read_cache) >= need) return 1;
  /* acquire: pairs with the consumer's release store of the read index. */
  p->read_cache = atomic_load_explicit(p->read, memory_order_acquire);
  return p->capacity - (p->head - p->read_cache) >= need;
}

uint8_t *tw_producer_reserve(tw_producer *p, uint32_t len) {
  if (len == 0 || len > p->max_record) return NULL;
  uint32_t size = rec_size(len);
  uint32_t pos = p->head & p->mask;
  uint32_t tail = p->capacity - pos;
  if (tail < size) {
    /* The record would wrap: pad out the tail, start at position 0. */
    if (!has_room(p, tail + size)) return NULL;
    tw_rec_header pad = {tail - TW_REC_HDR, TW_REC_PAD, p->source, 0, 0};
    memcpy(p->data + pos, &pad, sizeof pad);
    p->head += tail;
    pos = 0;
  } else if (!has_room(p, size)) {
    return NULL;
  }
  return p->data + pos + TW_REC_HDR;
}

void tw_producer_commit(tw_producer *p, uint32_t len, uint64_t rx_ns) {
  tw_rec_header h = {len, TW_REC_DATA, p->source, (uint32_t)rx_ns, (uint32_t)(rx_ns >> 32)};
  memcpy(p->data + (p->head & p->mask), &h, sizeof h);
  p->head += rec_size(len);
  p->pending++;
}

void tw_producer_publish(tw_producer *p) {
  if (p->pending == 0) return;
  /* relaxed: only this thread writes the counter; readers want a value. */
  atomic_fetch_add_explicit(p->published, p->pending, memory_order_relaxed);
  p->pending = 0;
  /* release: every record byte written above becomes visible before the
   * consumer's acquire load of the write index can observe the new value. */
  atomic_store_explicit(p->write, p->head, memory_order_release);
  /* seq_cst: the write index store above is ordered before the load of
   * `sleeping` below (the parking handshake in ring_layout.h). */
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(p->sleeping, memory_order_relaxed)) wake(p->wake);
}

/* Bumps the wake word and wakes whoever waits on it. */
static void wake(_Atomic uint32_t *w) {
  /* relaxed: the fences of the handshake order it; the kernel compares. */
  atomic_fetch_add_explicit(w, 1, memory_order_relaxed);
  syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int tw_ring_park_mem(void *mem, uint64_t timeout_ns) {
  tw_ring_mem *r = (tw_ring_mem *)mem;
  /* relaxed: the futex call compares it again in the kernel */
  uint32_t v = atomic_load_explicit(&r->producer.wake, memory_order_relaxed);
  atomic_store_explicit(&r->consumer.sleeping, 1, memory_order_relaxed);
  /* seq_cst: `sleeping` is stored before the write index is loaded. */
  atomic_thread_fence(memory_order_seq_cst);
  /* acquire: pairs with the producer's release of the write index / closed */
  uint32_t w = atomic_load_explicit(&r->producer.write, memory_order_acquire);
  uint32_t rd = atomic_load_explicit(&r->consumer.read, memory_order_relaxed);
  if (w != rd || atomic_load_explicit(&r->producer.closed, memory_order_acquire)) {
    atomic_store_explicit(&r->consumer.sleeping, 0, memory_order_relaxed);
    return 1;
  }
  struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
  syscall(SYS_futex, (uint32_t *)&r->producer.wake, FUTEX_WAIT_PRIVATE, v, &ts, NULL, 0);
  /* relaxed: only this consumer stores it; the producer's load is fenced */
  atomic_store_explicit(&r->consumer.sleeping, 0, memory_order_relaxed);
  return 0;
}

void tw_ring_wake_mem(void *mem) {
  wake(&((tw_ring_mem *)mem)->producer.wake);
}

void tw_producer_count_drop(tw_producer *p) {
  /* relaxed: a statistic, single writer. */
  atomic_fetch_add_explicit(p->drops, 1, memory_order_relaxed);
}

void tw_producer_close(tw_producer *p) {
  tw_producer_publish(p);
  /* release: the consumer that sees closed == 1 (acquire) also sees the
   * final write index. */
  atomic_store_explicit(p->closed, 1, memory_order_release);
}
