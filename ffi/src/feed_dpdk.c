/*
 * feed_dpdk.c - kernel-bypass receive with DPDK (compiled only when
 * pkg-config finds libdpdk; see Makefile).
 *
 * The feed thread itself calls rte_eal_init() with the user's EAL
 * arguments, so EAL pins this thread, never Deno's. It configures one port
 * with one rx queue (and the one tx queue some PMDs insist on), then loops
 * on rte_eth_rx_burst(): each mbuf is parsed (Ethernet, VLAN, IPv4, UDP)
 * and its UDP payload copied straight from the mbuf data room into a ring
 * record (one copy, no intermediate buffer); mbufs are freed in bulk.
 *
 * Scaling out: with RSS, a port gets N rx queues (rte_eth_conf.rxmode.mq_mode
 * = RTE_ETH_MQ_RX_RSS hashing on the UDP 4-tuple); each queue would get its
 * own feed thread, lcore and SPSC ring, and its own consumer - rings stay
 * single-producer/single-consumer. Not built yet: one queue is enough here.
 *
 * Options: eal (the EAL argument string, whitespace separated, quotes
 * allowed), port (UDP destination port, 0 = any), port_id (DPDK port,
 * default the first available), eof_idle_ms (0 = never: the feed ends in
 * state EOF once the port has delivered nothing for this long), burst (32),
 * mbufs (8191), rxd (1024).
 *
 * EAL can be initialised only once per process (DPDK limitation); a second
 * dpdk feed in the same process fails with a clear error.
 */
#define _GNU_SOURCE
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"

#define MAX_EAL_ARGS 64
#define MAX_BURST 256

static _Atomic int eal_used = 0;

/* Splits `s` in place into argv words (whitespace; '...' and "..." quote). */
static int split_args(char *s, char **argv, int max) {
  int n = 0;
  char *r = s, *w = s;
  while (*r) {
    while (*r == ' ' || *r == '\t' || *r == '\n') r++;
    if (!*r) break;
    if (n == max) return -1;
    argv[n++] = w;
    char q = 0;
    while (*r && (q || (*r != ' ' && *r != '\t' && *r != '\n'))) {
      if (!q && (*r == '\'' || *r == '"')) {
        q = *r++;
        continue;
      }
      if (q && *r == q) {
        q = 0;
        r++;
        continue;
      }
      *w++ = *r++;
    }
    if (*r) r++;
    *w++ = '\0';
  }
  return n;
}

/* Last non-empty lines of the captured EAL log, for error messages. */
static const char *log_tail(char *buf, size_t len) {
  if (!buf || !len) return "";
  size_t keep = len > 900 ? len - 900 : 0;
  while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = 0;
  for (char *p = buf + keep; *p; p++)
    if (*p == '\n') *p = ' ';
  return buf + keep;
}

static void read_port_stats(tw_feed *f, uint16_t pid) {
  struct rte_eth_stats s;
  if (rte_eth_stats_get(pid, &s) != 0) return;
  tw_stat_set(f, TW_STAT_PORT_IPACKETS, s.ipackets);
  tw_stat_set(f, TW_STAT_PORT_IMISSED, s.imissed);
  tw_stat_set(f, TW_STAT_PORT_IERRORS, s.ierrors);
  tw_stat_set(f, TW_STAT_PORT_NOMBUF, s.rx_nombuf);
}

int tw_run_dpdk(tw_feed *f) {
  const char *eal = tw_arg(f, "eal");
  uint64_t port, port_id, eof_idle_ms, burst, nmbufs, rxd;
  if (tw_arg_u64(f, "port", 0, &port) ||
      tw_arg_u64(f, "port_id", UINT16_MAX, &port_id) ||
      tw_arg_u64(f, "eof_idle_ms", 0, &eof_idle_ms) ||
      tw_arg_u64(f, "burst", 32, &burst) ||
      tw_arg_u64(f, "mbufs", 8191, &nmbufs) || tw_arg_u64(f, "rxd", 1024, &rxd))
    return -1;
  if (port > 65535) return tw_feed_fail(f, "dpdk: port must be 0..65535");
  if (burst < 1 || burst > MAX_BURST)
    return tw_feed_fail(f, "dpdk: burst must be 1..%d", MAX_BURST);
  int expected = 0;
  /* acq_rel: one EAL per process; the winner owns it. */
  if (!atomic_compare_exchange_strong_explicit(&eal_used, &expected, 1,
                                               memory_order_acq_rel,
                                               memory_order_acquire))
    return tw_feed_fail(f,
                        "dpdk: the DPDK EAL can be initialised only once per "
                        "process; start a new process for another DPDK feed");

  char *words = strdup(eal ? eal : "");
  char *argv[MAX_EAL_ARGS + 2];
  argv[0] = "tickwire";
  int argc = words ? split_args(words, argv + 1, MAX_EAL_ARGS) : -1;
  if (argc < 0) {
    free(words);
    return tw_feed_fail(f, "dpdk: too many EAL arguments (max %d)",
                        MAX_EAL_ARGS);
  }
  argc += 1;
  argv[argc] = NULL;

  /* Capture EAL's log during init so a failure can say what DPDK said;
   * DPDK would otherwise log to stdout, where tickwire prints its JSON. */
  char *logbuf = NULL;
  size_t loglen = 0;
  FILE *logf = open_memstream(&logbuf, &loglen);
  if (logf) rte_openlog_stream(logf);
  /* EAL prints its usage text with printf; stdout carries tickwire's JSON
   * summary, so point fd 1 at stderr while EAL parses its arguments (the
   * starting thread is blocked in tw_feed_start meanwhile). */
  fflush(stdout);
  int saved_stdout = dup(1);
  if (saved_stdout >= 0) dup2(2, 1);
  int rc = rte_eal_init(argc, argv);
  int err = rte_errno;
  fflush(stdout);
  if (saved_stdout >= 0) {
    dup2(saved_stdout, 1);
    close(saved_stdout);
  }
  if (logf) fflush(logf);
  rte_openlog_stream(stderr);
  if (rc < 0) {
    tw_feed_fail(f, "dpdk: rte_eal_init failed: %s. EAL said: %s",
                 rte_strerror(err), log_tail(logbuf, loglen));
    if (logf) fclose(logf);
    free(logbuf);
    free(words);
    return -1;
  }
  /* keep what EAL said: a vdev that failed to probe (a missing or broken
   * capture) leaves no port, and its reason is only in the log */
  if (logf) fclose(logf);
  logf = NULL;

  uint16_t pid = UINT16_MAX;
  if (port_id != UINT16_MAX) {
    pid = (uint16_t)port_id;
    if (!rte_eth_dev_is_valid_port(pid)) pid = UINT16_MAX;
  } else {
    uint16_t p;
    RTE_ETH_FOREACH_DEV(p) {
      pid = p;
      break;
    }
  }
  struct rte_mempool *pool = NULL;
  const char *why = NULL;
  int drc = 0;
  if (pid == UINT16_MAX) {
    why = "no DPDK port available (give a --vdev or bind a NIC)";
  } else {
    pool = rte_pktmbuf_pool_create("tw_rx", (unsigned)nmbufs, 256, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE,
                                   (int)rte_socket_id());
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    int sock = rte_eth_dev_socket_id(pid);
    if (sock < 0) sock = (int)rte_socket_id();
    if (!pool)
      why = "cannot create the mbuf pool (more memory: -m MB)", drc = -rte_errno;
    else if ((drc = rte_eth_dev_configure(pid, 1, 1, &conf)) != 0)
      why = "rte_eth_dev_configure failed";
    else if ((drc = rte_eth_rx_queue_setup(pid, 0, (uint16_t)rxd,
                                           (unsigned)sock, NULL, pool)) != 0)
      why = "rte_eth_rx_queue_setup failed";
    else if ((drc = rte_eth_tx_queue_setup(pid, 0, 512, (unsigned)sock,
                                           NULL)) != 0)
      why = "rte_eth_tx_queue_setup failed";
    else if ((drc = rte_eth_dev_start(pid)) != 0)
      why = "rte_eth_dev_start failed";
  }
  if (why && pid == UINT16_MAX && logbuf && loglen > 0) {
    tw_feed_fail(f, "dpdk: %s. EAL said: %s", why, log_tail(logbuf, loglen));
  } else if (why) {
    tw_feed_fail(f, "dpdk: %s%s%s", why, drc ? ": " : "",
                 drc ? rte_strerror(-drc) : "");
  }
  free(logbuf);
  if (why) {
    if (pool) rte_mempool_free(pool);
    rte_eal_cleanup();
    free(words);
    return -1;
  }
  rte_eth_promiscuous_enable(pid); /* not every PMD supports it: ignore */
  tw_feed_ready(f);

  struct rte_mbuf *pkts[MAX_BURST];
  uint8_t *linear = malloc(65536);
  uint64_t last_rx = tw_mono_ns(), last_stats = 0;
  while (!tw_stopping(f)) {
    uint16_t n = rte_eth_rx_burst(pid, 0, pkts, (uint16_t)burst);
    uint64_t now = tw_mono_ns();
    if (now - last_stats > 100000000ull) {
      read_port_stats(f, pid);
      last_stats = now;
    }
    if (n == 0) {
      tw_producer_publish(&f->prod);
      if (eof_idle_ms && now - last_rx > eof_idle_ms * 1000000ull) break;
      tw_idle_step(f);
      continue;
    }
    tw_idle_reset(f);
    last_rx = now;
    for (uint16_t i = 0; i < n; i++) {
      struct rte_mbuf *m = pkts[i];
      uint32_t len = rte_pktmbuf_pkt_len(m);
      const uint8_t *data;
      if (m->nb_segs == 1) {
        data = rte_pktmbuf_mtod(m, const uint8_t *);
        len = rte_pktmbuf_data_len(m);
      } else if (linear && len <= 65536) {
        data = rte_pktmbuf_read(m, 0, len, linear);
      } else {
        tw_stat_add(f, TW_STAT_MALFORMED, 1);
        continue;
      }
      tw_feed_packet(f, data, len, (uint16_t)port, now);
    }
    rte_pktmbuf_free_bulk(pkts, n);
    tw_producer_publish(&f->prod);
  }
  tw_producer_publish(&f->prod);
  read_port_stats(f, pid);
  rte_eth_dev_stop(pid);
  rte_eth_dev_close(pid);
  rte_mempool_free(pool);
  rte_eal_cleanup();
  free(linear);
  free(words);
  return 0;
}
