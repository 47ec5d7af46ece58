/**
 * The HTTP/WebSocket shell both serving roles share: market state, the
 * subscription hub with the role's extras, and the hono server, with one
 * way to start and one to stop.
 *
 * @example
 * ```ts ignore
 * const http = serveHttp(o, state, { stats, health });
 * await http.close();
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import { type Demand, Hub, type HubOptions } from "../server/hub.ts";
import type { MarketState } from "../server/state.ts";
import type { Histogram } from "../pipeline/latency.ts";
import { type RunningServer, startServer } from "../server/app.ts";
import type { BookSource } from "../server/book_feed.ts";

/** What a role adds to the shared shell. */
export interface HttpRole {
  stats: () => Record<string, unknown>;
  health: () => Record<string, unknown>;
  /** hub extras: the stream for resumeFrom, unavailable channels */
  hub?: Pick<HubOptions, "replay" | "unavailable">;
  /** the pipeline's receive-to-bar histogram, for /metrics */
  latency?: Histogram;
  /** told when subscribers' wish for per-tick events changes */
  onDemand?: (d: Demand) => void;
  /** told when trades/quotes subscriptions for a symbol ("*": all) may have changed */
  onInterest?: (symbol: string) => void;
  /** order books (--protocol itch): REST /v1/book and the `book` channel */
  book?: BookSource;
}

/** A serving shell. */
export interface Http {
  hub: Hub;
  server: RunningServer;
  close(): Promise<void>;
}

/** Starts the hub and the server; throws ServerStartError when the address is taken. */
export function serveHttp(o: RunOptions, state: MarketState, role: HttpRole): Http {
  const hub = new Hub(
    {
      token: o.token,
      slowPolicy: o.slowPolicy,
      maxSubscriptions: o.maxSubscriptions,
      maxClients: o.maxClients,
      maxMessageBytes: 64 * 1024,
      highWater: 1 << 20,
      heartbeatMs: 1000,
      onDemand: role.onDemand,
      onInterest: role.onInterest,
      books: role.book,
      ...role.hub,
      unavailable: {
        ...(role.book ? {} : { book: "the book channel needs --protocol itch" }),
        ...role.hub?.unavailable,
      },
    },
    state,
    role.stats,
  );
  const server = startServer({
    hostname: o.httpHost,
    port: o.httpPort,
    token: o.token,
    state,
    hub,
    stats: role.stats,
    health: role.health,
    latency: role.latency,
    cors: o.cors,
    book: role.book,
  });
  return { hub, server, close: () => server.close() };
}
