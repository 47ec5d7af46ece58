/*
 * feed_synth.c - the embedded default feed: a deterministic synthetic
 * market for many symbols.
 *
 * Model: each symbol's mid price follows a geometric random walk whose
 * volatility (0.03 % or 0.12 % per event-second) switches between a calm
 * and a volatile regime (Markov switching); arrivals are Poisson in event time, with occasional
 * bursts at ten times the rate; 70 % of events are quotes (bid/ask around
 * the mid, 1-3 cent spread), the rest trades at the bid or ask. Prices are
 * dollars x 10,000 (price_exp -4), on a one-cent grid.
 *
 * Optional injected anomalies (probability `anomalies` per event), each
 * labelled in Tick.label so detectors have ground truth: price spike (a
 * print 7 % away), fat finger (price x10 or /10), volume burst (20 prints
 * of 50x normal size), stale symbol (silent for `stale_s` seconds, then its
 * first tick is labelled), crossed quote (bid above ask).
 *
 * Options: seed (1), symbols (8), rate (ticks per wall second, 0 = flat
 * out), count (ticks, 0 = endless), batch (ticks per frame, 16, max 32),
 * start_ns (event-time start, ns since epoch; default: now), event_rate
 * (ticks per event second, default rate or 50000), anomalies (0),
 * stale_s (30), session (default derived from seed), skip_at/skip_len
 * (leave a sequence gap, for tests).
 * Same seed, start_ns, event_rate and pacing (paced or flat out) => same
 * ticks. Paced runs
 * send each tick when the wall clock reaches its event time, so with the
 * default start_ns (now) live bars are stamped with the current time.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "feed.h"
#include "wire.h"

#define MAX_SYMBOLS 4096
#define MAX_BATCH 32

typedef struct {
  uint64_t s[4];
} rng_t;

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t next_u64(rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

static double uniform(rng_t *r) {
  return (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(rng_t *r) {
  double u = uniform(r), v = uniform(r);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static double expo(rng_t *r) {
  double u = uniform(r);
  return -log(1.0 - u);
}

typedef struct {
  uint32_t sym_lo, sym_hi;
  double mid;          /* dollars */
  int volatile_regime;
  uint32_t base_size;
  int spread_cents;
  uint64_t silent_until; /* stale injection: event ns */
  int was_silent;
  int burst_left;      /* volume burst prints still to send */
} sym_t;

static const char *NAMES[] = {"AAPL", "MSFT", "AMZN", "GOOG", "NVDA", "META",
                              "TSLA", "JPM",  "V",    "XOM",  "UNH",  "JNJ",
                              "WMT",  "PG",   "MA",   "HD",   "CVX",  "KO",
                              "PEP",  "ABBV", "COST", "MRK",  "AVGO", "ORCL"};

static int64_t cents_to_fixed(double dollars) {
  return (int64_t)llround(dollars * 100.0) * 100;
}

/* Finishes the frame in `frame`, copies it into the ring, publishes. */
static uint32_t flush_frame(tw_feed *f, uint8_t *frame, uint32_t n) {
  tw_put32(frame + 36, n);
  tw_put32(frame + 48, n);
  uint8_t *dst = tw_feed_reserve(f, TW_FRAME_SIZE(n));
  if (dst) {
    memcpy(dst, frame, TW_FRAME_SIZE(n));
    tw_feed_commit(f, TW_FRAME_SIZE(n), tw_mono_ns());
    tw_producer_publish(&f->prod);
  }
  return 0;
}

int tw_run_synth(tw_feed *f) {
  uint64_t seed, nsym, count, batch, start_ns, stale_s,
      session, skip_at, skip_len;
  double rate, event_rate, anomalies;
  if (tw_arg_u64(f, "seed", 1, &seed) || tw_arg_u64(f, "symbols", 8, &nsym) ||
      tw_arg_f64(f, "rate", 0, &rate) || tw_arg_u64(f, "count", 0, &count) ||
      tw_arg_u64(f, "batch", 16, &batch) ||
      tw_arg_u64(f, "start_ns", tw_real_ns(), &start_ns) ||
      tw_arg_f64(f, "event_rate", rate > 0 ? rate : 50000, &event_rate) ||
      tw_arg_f64(f, "anomalies", 0, &anomalies) ||
      tw_arg_u64(f, "stale_s", 30, &stale_s) ||
      tw_arg_u64(f, "skip_at", 0, &skip_at) ||
      tw_arg_u64(f, "skip_len", 0, &skip_len))
    return -1;
  uint64_t sx = seed;
  if (tw_arg_u64(f, "session", splitmix(&sx) & 0xFFFFFFFFFFull, &session))
    return -1;
  if (nsym < 1 || nsym > MAX_SYMBOLS)
    return tw_feed_fail(f, "synth: symbols must be 1..%d", MAX_SYMBOLS);
  if (batch < 1 || batch > MAX_BATCH)
    return tw_feed_fail(f, "synth: batch must be 1..%d", MAX_BATCH);
  if (event_rate <= 0) return tw_feed_fail(f, "synth: event_rate must be > 0");
  if (anomalies > 0.5) return tw_feed_fail(f, "synth: anomalies must be <= 0.5");

  sym_t *syms = calloc(nsym, sizeof *syms);
  if (!syms) return tw_feed_fail(f, "synth: out of memory");
  rng_t rng;
  sx = seed * 0x2545F4914F6CDD1Dull + 1;
  for (int i = 0; i < 4; i++) rng.s[i] = splitmix(&sx);
  for (uint64_t i = 0; i < nsym; i++) {
    char name[16];
    if (i < sizeof NAMES / sizeof NAMES[0])
      snprintf(name, sizeof name, "%s", NAMES[i]);
    else
      snprintf(name, sizeof name, "S%05u", (unsigned)i);
    tw_symbol_pack(name, &syms[i].sym_lo, &syms[i].sym_hi);
    syms[i].mid = 20.0 + 480.0 * uniform(&rng);
    syms[i].base_size = 100u * (1u + (uint32_t)(uniform(&rng) * 5));
    syms[i].spread_cents = 1 + (int)(uniform(&rng) * 3);
  }
  tw_feed_ready(f);

  /* Paced runs keep event time on the wall clock: bursts (probability
   * BURST_P per calm event, BURST_LEN events on average, gaps / 10) would
   * shorten the mean gap, so the base gap is widened to make the average
   * rate, bursts included, event_rate; a silenced symbol's events go to
   * another symbol instead of being skipped; at most half the symbols are
   * silenced at once. Flat-out runs keep the original model (event time
   * runs ahead; the committed model was trained on it). */
  const int paced = rate > 0;
  const double BURST_P = 2e-4, BURST_LEN = 600.0;
  const double burst_scale = (1.0 / BURST_P + BURST_LEN) / (1.0 / BURST_P + BURST_LEN / 10.0);
  const double mean_gap_ns = 1e9 / event_rate * (paced ? burst_scale : 1.0);
  const double vol_scale = 1.0 / sqrt(event_rate / (double)nsym > 1 ? event_rate / (double)nsym : 1);
  const uint64_t t0_wall = tw_mono_ns();
  uint64_t t_ev = start_ns; /* event time, ns since epoch */
  uint64_t seq = 1, emitted = 0;
  int burst = 0, pending = 0;
  /* Frames are built here and copied into the ring whole, so a full ring
   * drops a whole frame (and the consumer sees a sequence gap). */
  uint8_t frame[TW_FRAME_SIZE(MAX_BATCH)];
  uint32_t nin = 0;
  tw_tick tk;

  while (!tw_stopping(f) && (count == 0 || emitted < count)) {
    /* The next event's time: Poisson arrivals, with occasional bursts. */
    if (!pending) {
      if (!burst && uniform(&rng) < BURST_P) burst = 200 + (int)(uniform(&rng) * 800);
      double gap = expo(&rng) * mean_gap_ns / (burst ? 10.0 : 1.0);
      if (burst) burst--;
      t_ev += (uint64_t)gap;
      pending = 1;
    }
    /* Paced: an event goes out when the wall clock reaches its event time
     * (scaled by event_rate / rate), so a live run's event time stays on
     * the wall clock, bursts included. While early the thread follows its
     * idle strategy: spin (busy-wait), yield, or sleep (nap until due, at
     * most 1 ms at a time). */
    if (rate > 0) {
      uint64_t due = t0_wall + (uint64_t)((double)(t_ev - start_ns) * (event_rate / rate));
      uint64_t now = tw_mono_ns();
      if (due > now) {
        /* A partial frame goes out when the next tick is more than 20 us
         * away, as a gateway would not hold a packet longer than that. */
        if (nin && due > now + 20000) nin = flush_frame(f, frame, nin);
        if (f->idle.kind == TW_IDLE_SPIN) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else if (f->idle.kind == TW_IDLE_YIELD) {
          tw_stat_add(f, TW_STAT_NAPS, 1);
          sched_yield();
        } else if (due > now + 20000) {
          uint64_t nap = due - now - 10000;
          tw_stat_add(f, TW_STAT_NAPS, 1);
          tw_sleep_ns(nap > 1000000 ? 1000000 : nap);
        }
        continue;
      }
    }
    pending = 0;
    uint32_t si = (uint32_t)(uniform(&rng) * (double)nsym);
    sym_t *s = &syms[si];
    if (s->silent_until > t_ev) { /* stale symbol: someone else trades */
      uint32_t k = 1, tries = paced ? (uint32_t)nsym : 2;
      while (k < tries && syms[(si + k) % nsym].silent_until > t_ev) k++;
      if (k == tries) continue; /* the event is skipped */
      si = (si + k) % (uint32_t)nsym;
      s = &syms[si];
    }
    if (uniform(&rng) < 1e-4) s->volatile_regime = !s->volatile_regime;
    /* volatility per event, scaled so a symbol moves about 0.03 % per
     * event-second when calm and 0.12 % when volatile */
    double sigma = (s->volatile_regime ? 1.2e-3 : 3e-4) * vol_scale;
    s->mid *= exp(sigma * normal(&rng));
    if (s->mid < 1.0) s->mid = 1.0;

    memset(&tk, 0, sizeof tk);
    tk.ts_sec = (uint32_t)(t_ev / 1000000000ull);
    tk.ts_nsec = (uint32_t)(t_ev % 1000000000ull);
    tk.symbol_lo = s->sym_lo;
    tk.symbol_hi = s->sym_hi;
    tk.price_exp = -4;
    double half = s->spread_cents * 0.005;
    int64_t bid = cents_to_fixed(s->mid - half);
    int64_t ask = bid + (int64_t)s->spread_cents * 100;
    int trade = s->burst_left > 0 || uniform(&rng) < 0.3;
    if (trade) {
      tk.kind = TW_KIND_TRADE;
      int buy = uniform(&rng) < 0.5;
      tk.side = buy ? TW_SIDE_BUY : TW_SIDE_SELL;
      tk.price = buy ? ask : bid;
      double lsz = 0.8 * normal(&rng);
      tk.size = (uint32_t)(s->base_size * exp(lsz));
      if (tk.size < 1) tk.size = 1;
    } else {
      tk.kind = TW_KIND_QUOTE;
      tk.price = bid;
      tk.price2 = ask;
      tk.size = 100u * (1u + (uint32_t)(uniform(&rng) * 10));
      tk.size2 = 100u * (1u + (uint32_t)(uniform(&rng) * 10));
    }
    if (s->was_silent) {
      tk.label = 4; /* stale: first tick after the silence */
      s->was_silent = 0;
    }
    if (s->burst_left > 0) {
      tk.size = s->base_size * 50u;
      tk.label = 3;
      s->burst_left--;
    } else if (anomalies > 0 && uniform(&rng) < anomalies) {
      int k = 1 + (int)(uniform(&rng) * 5);
      if (k == 4 && paced) { /* at most half the symbols silent at once, so the market goes on */
        uint64_t silent = 0;
        for (uint64_t j = 0; j < nsym; j++) silent += syms[j].silent_until > t_ev;
        if (2 * (silent + 1) > nsym) k = 1;
      }
      if (k == 1 || k == 2) {
        tk.kind = TW_KIND_TRADE;
        tk.side = TW_SIDE_BUY;
        tk.price2 = 0;
        tk.size2 = 0;
        tk.size = s->base_size;
        double m = k == 1 ? (uniform(&rng) < 0.5 ? 1.07 : 0.93)
                          : (uniform(&rng) < 0.5 ? 10.0 : 0.1);
        tk.price = cents_to_fixed(s->mid * m);
        tk.label = (uint8_t)k;
      } else if (k == 3) {
        s->burst_left = 19;
        tk.kind = TW_KIND_TRADE;
        tk.side = TW_SIDE_BUY;
        tk.price = ask;
        tk.price2 = 0;
        tk.size2 = 0;
        tk.size = s->base_size * 50u;
        tk.label = 3;
      } else if (k == 4) {
        s->silent_until = t_ev + stale_s * 1000000000ull;
        s->was_silent = 1;
      } else {
        tk.kind = TW_KIND_QUOTE;
        tk.side = TW_SIDE_UNKNOWN;
        tk.price = ask + 500;
        tk.price2 = bid;
        tk.size = 100;
        tk.size2 = 100;
        tk.label = 5;
      }
    }

    /* Leave a sequence gap when asked (tests of gap detection). */
    if (skip_len && seq == skip_at) {
      if (nin) nin = flush_frame(f, frame, nin);
      seq += skip_len;
    }
    if (nin == 0) tw_frame_begin(frame, session, seq, 0, 0);
    tw_frame_tick(frame, nin++, &tk);
    seq++;
    emitted++;
    tw_stat_add(f, TW_STAT_TICKS, 1);
    if (nin == batch) nin = flush_frame(f, frame, nin);
  }
  if (nin) flush_frame(f, frame, nin);
  free(syms);
  return 0;
}
