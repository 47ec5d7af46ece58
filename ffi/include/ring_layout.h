/*
 * ring_layout.h - the shared-memory layout of a tickwire SPSC ring, written
 * down once. src/ring/layout.ts mirrors every number here and
 * tests/ring_layout_test.ts checks both sides agree through tw_layout().
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
 *      152   104  -         reserved (rest of the producer's 128-byte block)
 *      256     4  consumer  read index, free-running uint32 (byte count)
 *      260   124  -         reserved (consumer's 128-byte block)
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
 *      6     2  source: feed kind that wrote it (TW_SRC_*)
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
 */
#ifndef TICKWIRE_RING_LAYOUT_H
#define TICKWIRE_RING_LAYOUT_H

#define TW_RING_MAGIC 0x47525754u
#define TW_RING_VERSION 1u
#define TW_RING_OFF_MAGIC 0
#define TW_RING_OFF_VERSION 4
#define TW_RING_OFF_CAPACITY 8
#define TW_RING_OFF_MAX_RECORD 12
#define TW_RING_OFF_DATA_OFF 16
#define TW_RING_OFF_WRITE 128
#define TW_RING_OFF_CLOSED 132
#define TW_RING_OFF_DROPS 136
#define TW_RING_OFF_PUBLISHED 144
#define TW_RING_OFF_READ 256
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
  TW_LAYOUT_KEYS
};

/* Feed counters, indices into tw_feed_stats(). */
enum {
  TW_STAT_STATE = 0,      /* TW_STATE_* */
  TW_STAT_OFFERED,        /* records offered to the ring */
  TW_STAT_PUSHED,         /* records delivered into the ring */
  TW_STAT_RING_DROPS,     /* records dropped because the ring was full */
  TW_STAT_BYTES,          /* payload bytes delivered */
  TW_STAT_NON_UDP,        /* packets that were not IPv4/UDP */
  TW_STAT_OTHER_PORT,     /* UDP datagrams for another port */
  TW_STAT_MALFORMED,      /* truncated packets, lengths that lie, too large */
  TW_STAT_TICKS,          /* ticks generated (synth) */
  TW_STAT_PORT_IPACKETS,  /* DPDK rte_eth_stats */
  TW_STAT_PORT_IMISSED,
  TW_STAT_PORT_IERRORS,
  TW_STAT_PORT_NOMBUF,
  TW_STAT_CHECKSUM,       /* pattern feed: checksum of pushed payloads */
  TW_STAT_NAPS,           /* idle sleeps/yields taken by the thread */
  TW_STAT_KERNEL_DROPS,   /* udp: datagrams dropped by the kernel */
  TW_STAT_LAST_RX_NS,     /* CLOCK_MONOTONIC of the last record */
  TW_STAT_PACKETS,        /* packets/datagrams seen before filtering */
  TW_STAT_COUNT
};

enum {
  TW_STATE_STARTING = 0,
  TW_STATE_RUNNING = 1,
  TW_STATE_EOF = 2,      /* finite feed finished; everything published */
  TW_STATE_STOPPED = 3,
  TW_STATE_FAILED = 4    /* see tw_feed_error */
};

#endif
