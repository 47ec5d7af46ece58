/* ring.h - producer side of the SPSC ring (layout: include/ring_layout.h). */
#ifndef TW_RING_H
#define TW_RING_H

#include <stdatomic.h>
#include <stdint.h>

#include "../include/ring_layout.h"

typedef struct {
  uint8_t *base;            /* start of the shared memory (header) */
  uint8_t *data;            /* base + TW_RING_DATA_OFF */
  _Atomic uint32_t *write;  /* shared write index (producer stores) */
  _Atomic uint32_t *read;   /* shared read index (consumer stores) */
  _Atomic uint32_t *closed;
  _Atomic uint64_t *drops;
  _Atomic uint64_t *published;
  _Atomic uint32_t *wake;      /* futex word of a parked consumer */
  _Atomic uint32_t *sleeping;  /* the consumer's "I am parking" flag */
  uint32_t capacity;
  uint32_t mask;
  uint32_t max_record;
  uint32_t head;            /* private: next write index, not yet public */
  uint32_t read_cache;      /* private: last read index seen (cached) */
  uint32_t pending;         /* records written since the last publish */
  uint16_t source;
} tw_producer;

int tw_ring_validate(const void *mem, uint64_t len);
int tw_producer_attach(tw_producer *p, void *mem, uint64_t len,
                       uint16_t source);

/*
 * Reserves room for one record of `len` payload bytes and returns where the
 * payload goes, or NULL when the ring is full (nothing is written then).
 * Must be followed by tw_producer_commit before the next reserve.
 */
uint8_t *tw_producer_reserve(tw_producer *p, uint32_t len);
/* Finishes the reserved record with its final length (<= reserved). */
void tw_producer_commit(tw_producer *p, uint32_t len, uint64_t rx_ns);
/* Makes every committed record visible to the consumer (one release). */
void tw_producer_publish(tw_producer *p);
void tw_producer_count_drop(tw_producer *p);
/* Consumer side: parks until woken, data is there, or timeout_ns passed. */
int tw_ring_park_mem(void *mem, uint64_t timeout_ns);
/* Wakes a parked consumer (any thread). */
void tw_ring_wake_mem(void *mem);
void tw_producer_close(tw_producer *p);

#endif
