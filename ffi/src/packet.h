/*
 * packet.h - finds the UDP payload in an Ethernet frame: Ethernet II with
 * any number (up to 4) of 802.1Q / 802.1ad VLAN tags, IPv4 (options
 * allowed, fragments refused), UDP. Lengths are checked against the bytes
 * actually captured, so lengths that lie are caught, not followed.
 */
#ifndef TW_PACKET_H
#define TW_PACKET_H

#include <stdint.h>

enum {
  TW_PKT_OK = 0,
  TW_PKT_NON_UDP = 1,     /* not IPv4, or IPv4 but not UDP */
  TW_PKT_OTHER_PORT = 2,  /* UDP for another destination port */
  TW_PKT_MALFORMED = 3    /* truncated, bad header or length field */
};

/* port 0 keeps every UDP datagram. */
static inline int tw_packet_udp(const uint8_t *p, uint32_t len, uint16_t port,
                                const uint8_t **payload, uint32_t *plen) {
  uint32_t off = 12;
  if (len < 14) return TW_PKT_MALFORMED;
  uint16_t et = (uint16_t)(p[off] << 8 | p[off + 1]);
  for (int tags = 0; (et == 0x8100 || et == 0x88A8) && tags < 4; tags++) {
    off += 4;
    if (len < off + 2) return TW_PKT_MALFORMED;
    et = (uint16_t)(p[off] << 8 | p[off + 1]);
  }
  off += 2;
  if (et != 0x0800) return TW_PKT_NON_UDP;
  if (len < off + 20) return TW_PKT_MALFORMED;
  const uint8_t *ip = p + off;
  if ((ip[0] >> 4) != 4) return TW_PKT_MALFORMED;
  uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
  uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]);
  if (ihl < 20 || tot < ihl || off + tot > len) return TW_PKT_MALFORMED;
  if (ip[9] != 17) return TW_PKT_NON_UDP;
  if ((ip[6] & 0x3F) || ip[7]) return TW_PKT_MALFORMED; /* MF or offset */
  if (tot < ihl + 8) return TW_PKT_MALFORMED;
  const uint8_t *udp = ip + ihl;
  uint32_t ulen = (uint32_t)(udp[4] << 8 | udp[5]);
  if (ulen < 8 || ulen > tot - ihl) return TW_PKT_MALFORMED;
  uint16_t dport = (uint16_t)(udp[2] << 8 | udp[3]);
  if (port && dport != port) return TW_PKT_OTHER_PORT;
  *payload = udp + 8;
  *plen = ulen - 8;
  return TW_PKT_OK;
}

#endif
