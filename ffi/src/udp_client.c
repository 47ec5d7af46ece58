/*
 * udp_client.c - HOST:PORT parsing shared by the UDP code, and a small
 * non-blocking UDP client for side channels such as MoldUDP64 re-requests
 * (the pipeline Worker owns the socket; the receive threads never see it).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../include/tickwire.h"
#include "feed.h"

int tw_parse_hostport(const char *s, struct sockaddr_storage *ss,
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

TW_API int32_t tw_udp_open(const char *hostport) {
  struct sockaddr_storage ss;
  socklen_t sl;
  if (!hostport || tw_parse_hostport(hostport, &ss, &sl) != 0) return TW_EINVAL;
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rb = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

TW_API int32_t tw_udp_send(int32_t fd, const uint8_t *buf, int32_t len) {
  if (len < 0) return TW_EINVAL;
  ssize_t n = send(fd, buf, (size_t)len, MSG_DONTWAIT);
  return n < 0 ? -errno : (int32_t)n;
}

TW_API int32_t tw_udp_recv(int32_t fd, uint8_t *buf, int32_t cap) {
  if (cap < 0) return TW_EINVAL;
  ssize_t n = recv(fd, buf, (size_t)cap, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    /* ECONNREFUSED: an ICMP port-unreachable from an earlier send. */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    return -errno;
  }
  return n > cap ? TW_ERANGE : (int32_t)n;
}

TW_API int32_t tw_udp_close(int32_t fd) { return close(fd) == 0 ? TW_OK : -errno; }
