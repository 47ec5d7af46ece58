/*
 * ring_layout.h - the shared-memory layout of a tickwire SPSC ring, written
 * down once: the numbers as #defines, the blocks as structs whose offsets
 * are checked against them at compile time (_Static_assert), the feed
 * counters and states as lists. `deno task gen` generates
 * src/ring/layout.ts from this file (`deno task check` fails when stale) and
 * tests/ring_layout_test.ts checks every number, counter and state name
 * against the built library (tw_layout, tw_stat_name, tw_state_name).
 *
 *   offset  size  owner     field
 *   ------  ----  --------  -------------------------------------------------
 *        0     4  creator   magic 0x47525754 ("TWRG" little-endian)
 *        4     4  creator   layout version (TW_RING_VERSION)
 *        8     4  creator   capacity: data bytes, a power of two, >= 4096
 *       12     4  creator   max record payload in bytes (<= capacity / 4)
 *       16     4  creator   data offset (TW_RING_DATA_OFF)
 *       20   108  -         reserved, zero (read-mostly line(s))
 *      128     4  producer  write index, free-running uint32 (byte count)
 *      132     4  producer  closed flag: 1 once the producer has finished
 *      136     8  producer  drops: records refused because the ring was full
 *      144     8  producer  records published
 *      152     4  producer  wake word (futex): bumped to wake a parked consumer
 *      156   100  -         reserved (rest of the producer's 128-byte block)
 *      256     4  consumer  read index, free-running uint32 (byte count)
 *      260     4  consumer  sleeping flag: 1 while the consumer parks (or is about to)
 *      264   120  -         reserved (consumer's 128-byte block)
 *      384   cap  both      data: records
 *
 * The base need only be 16-byte aligned (all V8 guarantees for a
 * SharedArrayBuffer). Producer and consumer blocks are 128 bytes apart, not
 * 64, so whatever the base alignment they sit on different cache lines and
 * the adjacent
 * cache-line prefetcher does not pull one side's line with the other's.
 * Each side keeps a private cached copy of the other side's index and only
 * reloads it (acquire) when the cached value says the ring is full/empty.
 *
 * Records start at 16-byte aligned positions. Record = 16-byte header +
 * payload, padded to a multiple of 16:
 *      0     4  payload length in bytes (1 .. max record)
 *      4     2  type: 1 = data, 2 = padding (skip to the start of the data)
 *      6     2  source: bits 0..7 the feed kind that wrote it (TW_SRC_*),
 *               bits 8..15 the line it came in on (0 = A, 1 = B; a udp
 *               feed listening on two addresses for A/B arbitration)
 *      8     4  rx time, CLOCK_MONOTONIC ns, bits 0..31
 *     12     4  rx time, bits 32..63
 * A record never wraps: when it does not fit before the end of the data
 * area, the producer writes a padding record covering the tail and starts
 * the record at position 0. Indices are byte counts modulo 2^32; position
 * = index & (capacity - 1); used = write - read (mod 2^32).
 *
 * Ordering: the producer writes record bytes, then stores the write index
 * with RELEASE; the consumer loads the write index with ACQUIRE before
 * reading the records. The consumer stores the read index with RELEASE
 * after it is done with the bytes; the producer loads it with ACQUIRE before
 * overwriting them. (JavaScript Atomics are sequentially consistent, which
 * is at least as strong as both.)
 *
 * Parking (a consumer with nothing to read sleeps in the kernel and the
 * producer wakes it only when it is parked; no lost wake-up):
 *   consumer (tw_ring_park)          producer (tw_producer_publish)
 *   v = wake            (relaxed)    write = head             (release)
 *   sleeping = 1        (relaxed)    fence                    (seq_cst)
 *   fence               (seq_cst)    if sleeping              (relaxed)
 *   if write != read or closed:        wake += 1              (relaxed)
 *     sleeping = 0; return             futex_wake(&wake)
 *   futex_wait(&wake, v, timeout)
 *   sleeping = 0        (relaxed)
 * The two seq_cst fences order each side's store before its load, so at
 * least one side sees the other: either the consumer sees the new write
 * index and does not sleep, or the producer sees `sleeping` and bumps
 * `wake`, and futex_wait (which compares `wake` with v in the kernel)
 * returns at once or is woken. Anyone may wake a parked consumer with
 * tw_ring_wake (the main thread does, to hand the Worker a command).
 */
#ifndef TICKWIRE_RING_LAYOUT_H
#define TICKWIRE_RING_LAYOUT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TW_RING_MAGIC 0x47525754u
#define TW_RING_VERSION 2u
#define TW_RING_OFF_MAGIC 0
#define TW_RING_OFF_VERSION 4
#define TW_RING_OFF_CAPACITY 8
#define TW_RING_OFF_MAX_RECORD 12
#define TW_RING_OFF_DATA_OFF 16
#define TW_RING_OFF_WRITE 128
#define TW_RING_OFF_CLOSED 132
#define TW_RING_OFF_DROPS 136
#define TW_RING_OFF_PUBLISHED 144
#define TW_RING_OFF_WAKE 152
#define TW_RING_OFF_READ 256
#define TW_RING_OFF_SLEEPING 260
#define TW_RING_DATA_OFF 384
#define TW_RING_MIN_CAPACITY 4096u
#define TW_RING_ALIGN 16u
#define TW_REC_HDR 16u
#define TW_REC_OFF_LEN 0
#define TW_REC_OFF_TYPE 4
#define TW_REC_OFF_SOURCE 6
#define TW_REC_OFF_RX_LO 8
#define TW_REC_OFF_RX_HI 12
#define TW_REC_DATA 1u
#define TW_REC_PAD 2u

/* Record sources. */
#define TW_SRC_PATTERN 1u
#define TW_SRC_SYNTH 2u
#define TW_SRC_UDP 3u
#define TW_SRC_PCAP 4u
#define TW_SRC_DPDK 5u
#define TW_SRC_TS 6u
/* source >> TW_SRC_LINE_SHIFT = line (0 = A, 1 = B). */
#define TW_SRC_LINE_SHIFT 8u

/* The read-mostly header, written once by the ring's creator. */
typedef struct {
  uint32_t magic;
  uint32_t version;
  uint32_t capacity;
  uint32_t max_record;
  uint32_t data_off;
  uint8_t reserved[108];
} tw_ring_header;

/* The producer's block: only the producer stores here. */
typedef struct {
  _Atomic uint32_t write;     /* release by the producer, acquire by the consumer */
  _Atomic uint32_t closed;    /* release after the final write index */
  _Atomic uint64_t drops;     /* relaxed: a statistic */
  _Atomic uint64_t published; /* relaxed: a statistic */
  _Atomic uint32_t wake;      /* futex word: relaxed bumps, ordered by the fences above */
  uint8_t reserved[100];
} tw_ring_producer_block;

/* The consumer's block: only the consumer stores here. */
typedef struct {
  _Atomic uint32_t read;     /* release by the consumer, acquire by the producer */
  _Atomic uint32_t sleeping; /* relaxed, ordered by the seq_cst fences (parking above) */
  uint8_t reserved[120];
} tw_ring_consumer_block;

/* The whole ring: the data area of `capacity` bytes follows `consumer`. */
typedef struct {
  tw_ring_header header;
  tw_ring_producer_block producer;
  tw_ring_consumer_block consumer;
} tw_ring_mem;

/* A record header; the payload follows, padded to TW_RING_ALIGN. */
typedef struct {
  uint32_t len;
  uint16_t type;
  uint16_t source;
  uint32_t rx_lo;
  uint32_t rx_hi;
} tw_rec_header;

_Static_assert(offsetof(tw_ring_mem, header.magic) == TW_RING_OFF_MAGIC, "magic");
_Static_assert(offsetof(tw_ring_mem, header.version) == TW_RING_OFF_VERSION, "version");
_Static_assert(offsetof(tw_ring_mem, header.capacity) == TW_RING_OFF_CAPACITY, "capacity");
_Static_assert(offsetof(tw_ring_mem, header.max_record) == TW_RING_OFF_MAX_RECORD, "max rec");
_Static_assert(offsetof(tw_ring_mem, header.data_off) == TW_RING_OFF_DATA_OFF, "data off");
_Static_assert(offsetof(tw_ring_mem, producer.write) == TW_RING_OFF_WRITE, "write");
_Static_assert(offsetof(tw_ring_mem, producer.closed) == TW_RING_OFF_CLOSED, "closed");
_Static_assert(offsetof(tw_ring_mem, producer.drops) == TW_RING_OFF_DROPS, "drops");
_Static_assert(offsetof(tw_ring_mem, producer.published) == TW_RING_OFF_PUBLISHED, "published");
_Static_assert(offsetof(tw_ring_mem, producer.wake) == TW_RING_OFF_WAKE, "wake");
_Static_assert(offsetof(tw_ring_mem, consumer.read) == TW_RING_OFF_READ, "read");
_Static_assert(offsetof(tw_ring_mem, consumer.sleeping) == TW_RING_OFF_SLEEPING, "sleeping");
_Static_assert(sizeof(tw_ring_mem) == TW_RING_DATA_OFF, "data follows the blocks");
_Static_assert(TW_RING_OFF_READ - TW_RING_OFF_WRITE >= 128, "blocks 128 bytes apart");
_Static_assert(sizeof(tw_rec_header) == TW_REC_HDR, "record header");
_Static_assert(offsetof(tw_rec_header, len) == TW_REC_OFF_LEN, "rec len");
_Static_assert(offsetof(tw_rec_header, type) == TW_REC_OFF_TYPE, "rec type");
_Static_assert(offsetof(tw_rec_header, source) == TW_REC_OFF_SOURCE, "rec source");
_Static_assert(offsetof(tw_rec_header, rx_lo) == TW_REC_OFF_RX_LO, "rec rx lo");
_Static_assert(offsetof(tw_rec_header, rx_hi) == TW_REC_OFF_RX_HI, "rec rx hi");
_Static_assert(TW_REC_HDR % TW_RING_ALIGN == 0, "records stay aligned");

/* Keys for tw_layout(). */
enum {
  TW_LAYOUT_MAGIC = 0,
  TW_LAYOUT_VERSION,
  TW_LAYOUT_OFF_CAPACITY,
  TW_LAYOUT_OFF_MAX_RECORD,
  TW_LAYOUT_OFF_WRITE,
  TW_LAYOUT_OFF_CLOSED,
  TW_LAYOUT_OFF_DROPS,
  TW_LAYOUT_OFF_PUBLISHED,
  TW_LAYOUT_OFF_READ,
  TW_LAYOUT_DATA_OFF,
  TW_LAYOUT_REC_HDR,
  TW_LAYOUT_ALIGN,
  TW_LAYOUT_MIN_CAPACITY,
  TW_LAYOUT_TICK_SIZE,
  TW_LAYOUT_FRAME_HDR_SIZE,
  TW_LAYOUT_STAT_COUNT,
  TW_LAYOUT_REC_OFF_LEN,
  TW_LAYOUT_REC_OFF_TYPE,
  TW_LAYOUT_REC_OFF_SOURCE,
  TW_LAYOUT_REC_OFF_RX_LO,
  TW_LAYOUT_REC_OFF_RX_HI,
  TW_LAYOUT_STATE_COUNT,
  TW_LAYOUT_OFF_WAKE,
  TW_LAYOUT_OFF_SLEEPING,
  TW_LAYOUT_KEYS
};

/*
 * Feed counters, in tw_feed_stats() order; tw_stat_name(i) answers the
 * lower-case name. One line each: X(NAME) then what it counts.
 */
#define TW_STAT_LIST(X)                                                     \
  X(STATE)         /* TW_STATE_* */                                         \
  X(OFFERED)       /* records offered to the ring */                        \
  X(PUSHED)        /* records delivered into the ring */                    \
  X(RING_DROPS)    /* records dropped because the ring was full */          \
  X(BYTES)         /* payload bytes delivered */                            \
  X(NON_UDP)       /* packets that were not IPv4/UDP */                     \
  X(OTHER_PORT)    /* UDP datagrams for another port */                     \
  X(MALFORMED)     /* truncated packets, lengths that lie, too large */     \
  X(TICKS)         /* ticks generated (synth) */                            \
  X(PORT_IPACKETS) /* DPDK rte_eth_stats */                                 \
  X(PORT_IMISSED)                                                           \
  X(PORT_IERRORS)                                                           \
  X(PORT_NOMBUF)                                                            \
  X(CHECKSUM)      /* pattern feed: checksum of pushed payloads */          \
  X(NAPS)          /* idle sleeps/yields taken by the thread */             \
  X(KERNEL_DROPS)  /* udp: datagrams dropped by the kernel */               \
  X(LAST_RX_NS)    /* CLOCK_MONOTONIC of the last record */                 \
  X(PACKETS)       /* packets/datagrams seen before filtering */

#define TW_STAT_ENUM_(n) TW_STAT_##n,
enum { TW_STAT_LIST(TW_STAT_ENUM_) TW_STAT_COUNT };

/* Feed thread states, in value order; tw_state_name(i) answers the name. */
#define TW_STATE_LIST(X)                                                    \
  X(STARTING)                                                               \
  X(RUNNING)                                                                \
  X(EOF)     /* finite feed finished; everything published */               \
  X(STOPPED)                                                                \
  X(FAILED)  /* see tw_feed_error */

#define TW_STATE_ENUM_(n) TW_STATE_##n,
enum { TW_STATE_LIST(TW_STATE_ENUM_) TW_STATE_COUNT };

#endif
