/*
 * wire.h - writes tickwire Frame FlatBuffers (schemas/tickwire.fbs) in C.
 *
 * The C feeds always emit one canonical layout, built by hand because the
 * schema is tiny and fixed-size (readers use the vtable, so they accept any
 * valid FlatBuffer of the schema, including ones built by flatbuffers'
 * Builder in TypeScript):
 *
 *   off  size  what
 *     0     4  root table offset (= 16)
 *     4     4  file identifier "TWF1"
 *     8     8  vtable: size 8, table size 32, field 0 at +4, field 1 at +28
 *    16     4  table: soffset to vtable (= 8)
 *    20    24  FrameHeader struct
 *    44     4  offset to the ticks vector (= 4, so the vector is at 48)
 *    48     4  vector length n
 *    52  44*n  Tick structs
 */
#ifndef TW_WIRE_H
#define TW_WIRE_H

#include <stdint.h>
#include <string.h>

#define TW_FRAME_FIXED 52u
#define TW_TICK_SIZE 44u
#define TW_FRAME_SIZE(n) (TW_FRAME_FIXED + TW_TICK_SIZE * (uint32_t)(n))

enum { TW_KIND_TRADE = 1, TW_KIND_QUOTE = 2 };
enum { TW_SIDE_UNKNOWN = 0, TW_SIDE_BUY = 1, TW_SIDE_SELL = 2 };

typedef struct {
  uint32_t ts_sec, ts_nsec;
  uint32_t symbol_lo, symbol_hi;
  int64_t price;
  uint32_t size;
  int64_t price2;
  uint32_t size2;
  uint8_t kind, side;
  int8_t price_exp;
  uint8_t label;
} tw_tick;

static inline void tw_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void tw_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static inline void tw_frame_begin(uint8_t *b, uint64_t session,
                                  uint64_t first_seq, uint32_t count,
                                  uint32_t flags) {
  tw_put32(b + 0, 16);
  memcpy(b + 4, "TWF1", 4);
  tw_put16(b + 8, 8);
  tw_put16(b + 10, 32);
  tw_put16(b + 12, 4);
  tw_put16(b + 14, 28);
  tw_put32(b + 16, 8);
  tw_put32(b + 20, (uint32_t)session);
  tw_put32(b + 24, (uint32_t)(session >> 32));
  tw_put32(b + 28, (uint32_t)first_seq);
  tw_put32(b + 32, (uint32_t)(first_seq >> 32));
  tw_put32(b + 36, count);
  tw_put32(b + 40, flags);
  tw_put32(b + 44, 4);
  tw_put32(b + 48, count);
}

static inline void tw_frame_tick(uint8_t *b, uint32_t i, const tw_tick *t) {
  uint8_t *p = b + TW_FRAME_FIXED + TW_TICK_SIZE * i;
  tw_put32(p + 0, t->ts_sec);
  tw_put32(p + 4, t->ts_nsec);
  tw_put32(p + 8, t->symbol_lo);
  tw_put32(p + 12, t->symbol_hi);
  tw_put32(p + 16, (uint32_t)(uint64_t)t->price);
  tw_put32(p + 20, (uint32_t)((uint64_t)t->price >> 32));
  tw_put32(p + 24, t->size);
  tw_put32(p + 28, (uint32_t)(uint64_t)t->price2);
  tw_put32(p + 32, (uint32_t)((uint64_t)t->price2 >> 32));
  tw_put32(p + 36, t->size2);
  p[40] = t->kind;
  p[41] = t->side;
  p[42] = (uint8_t)t->price_exp;
  p[43] = t->label;
}

/* Packs up to 8 ASCII characters, space padded, into lo/hi words. */
static inline void tw_symbol_pack(const char *s, uint32_t *lo, uint32_t *hi) {
  uint8_t b[8];
  memset(b, ' ', 8);
  for (int i = 0; i < 8 && s[i]; i++) b[i] = (uint8_t)s[i];
  memcpy(lo, b, 4);
  memcpy(hi, b + 4, 4);
}

#endif
