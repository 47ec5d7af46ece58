/*
 * feed_udp.c - kernel UDP receive with recvmmsg(2): the feed for users
 * without DPDK and the baseline for comparisons.
 * Options: listen (HOST:PORT, IPv4 or [IPv6]:PORT; required), batch (64),
 * rcvbuf (socket receive buffer bytes, 8 MiB).
 * Datagrams the kernel dropped for lack of buffer space are counted from
 * SO_RXQ_OVFL in TW_STAT_KERNEL_DROPS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "feed.h"

#define UDP_MAX_BATCH 256

static int parse_hostport(const char *s, struct sockaddr_storage *ss,
                          socklen_t *sl) {
  char host[256];
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || strlen(s) >= sizeof host) return -1;
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  if (!end || *end || port < 0 || port > 65535 || colon[1] == '\0') return -1;
  size_t hl = (size_t)(colon - s);
  memcpy(host, s, hl);
  host[hl] = '\0';
  memset(ss, 0, sizeof *ss);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    host[hl - 1] = '\0';
    if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) return -1;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    *sl = sizeof *a;
    return 0;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  *sl = sizeof *a;
  return 0;
}

int tw_run_udp(tw_feed *f) {
  const char *listen = tw_arg(f, "listen");
  uint64_t batch, rcvbuf;
  if (!listen) return tw_feed_fail(f, "udp: no listen address (HOST:PORT)");
  if (tw_arg_u64(f, "batch", 64, &batch) ||
      tw_arg_u64(f, "rcvbuf", 8u << 20, &rcvbuf))
    return -1;
  if (batch < 1 || batch > UDP_MAX_BATCH)
    return tw_feed_fail(f, "udp: batch must be 1..%d", UDP_MAX_BATCH);
  struct sockaddr_storage ss;
  socklen_t sl;
  if (parse_hostport(listen, &ss, &sl) != 0)
    return tw_feed_fail(f, "udp: '%s' is not HOST:PORT (IPv4 or [IPv6])",
                        listen);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return tw_feed_fail(f, "udp: socket: %s", strerror(errno));
  int one = 1, rb = (int)(rcvbuf > 1u << 30 ? 1u << 30 : rcvbuf);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    return tw_feed_fail(f, "udp: cannot listen on %s: %s", listen,
                        strerror(e));
  }
  uint32_t bufsz = f->prod.max_record + 1; /* +1 detects oversize */
  uint8_t *bufs = malloc((size_t)bufsz * batch);
  struct mmsghdr *msgs = calloc(batch, sizeof *msgs);
  struct iovec *iov = calloc(batch, sizeof *iov);
  char (*ctl)[64] = calloc(batch, 64);
  if (!bufs || !msgs || !iov || !ctl) {
    free(bufs), free(msgs), free(iov), free(ctl), close(fd);
    return tw_feed_fail(f, "udp: out of memory");
  }
  tw_feed_ready(f);
  while (!tw_stopping(f)) {
    for (uint32_t i = 0; i < batch; i++) {
      iov[i].iov_base = bufs + (size_t)i * bufsz;
      iov[i].iov_len = bufsz;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctl[i];
      msgs[i].msg_hdr.msg_controllen = 64;
    }
    int n = recvmmsg(fd, msgs, (unsigned)batch, MSG_DONTWAIT, NULL);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        tw_feed_fail(f, "udp: recvmmsg: %s", strerror(errno));
        break;
      }
      tw_producer_publish(&f->prod);
      if (f->idle.kind == TW_IDLE_SLEEP && f->idle.count >= f->idle.spins) {
        /* Sleep in the kernel until data arrives (bounded for stop). */
        struct pollfd pfd = {fd, POLLIN, 0};
        tw_stat_add(f, TW_STAT_NAPS, 1);
        poll(&pfd, 1, 20);
      } else {
        tw_idle_step(f);
      }
      continue;
    }
    tw_idle_reset(f);
    uint64_t rx = tw_mono_ns();
    for (int i = 0; i < n; i++) {
      uint32_t len = msgs[i].msg_len;
      tw_stat_add(f, TW_STAT_PACKETS, 1);
      if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > f->prod.max_record ||
          len == 0) {
        tw_stat_add(f, TW_STAT_MALFORMED, 1);
        continue;
      }
      uint8_t *dst = tw_feed_reserve(f, len);
      if (dst) {
        memcpy(dst, iov[i].iov_base, len);
        tw_feed_commit(f, len, rx);
      }
    }
    /* The kernel's drop counter rides on each datagram; take the last. */
    struct msghdr *mh = &msgs[n - 1].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops;
        memcpy(&drops, CMSG_DATA(c), 4);
        tw_stat_set(f, TW_STAT_KERNEL_DROPS, drops);
      }
    tw_producer_publish(&f->prod);
  }
  free(bufs), free(msgs), free(iov), free(ctl);
  close(fd);
  return 0;
}
