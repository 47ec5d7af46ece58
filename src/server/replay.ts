/**
 * Resumed subscriptions (`resumeFrom`, on a server backed by a stream: a
 * cluster gateway). Such a connection gets its final bars and anomalies
 * from its own replay of the stream, in stream order, with no gap and no
 * duplicate, paced by its socket (nothing is dropped), then a `caught_up`
 * notice once it reaches the end of what the stream holds.
 *
 * @example
 * ```ts ignore
 * startReplay(connection, source, { seq: 42 }, 1 << 20);
 * ```
 * @module
 */
import type { AnomalyJson, BarJson } from "./messages.ts";
import { caughtUpBody, durableBody } from "./messages.ts";
import type { Connection, Replay } from "./delivery.ts";
import { ErrorCode, type ResumePoint } from "./requests.ts";

/** A final bar or anomaly replayed from the stream. */
export interface Replayed {
  kind: "bar" | "anomaly";
  /** the JSON form (bar or anomaly fields) */
  json: BarJson | AnomalyJson;
  streamSeq: number;
  /** the FlatBuffers message, stream position patched in */
  bytes: Uint8Array;
  /** messages still to replay after this one (0 = caught up) */
  pending: number;
}

/**
 * The stream behind a gateway's hub. `open` replays from a point, calling
 * `deliver` for each message in stream order and awaiting it (backpressure);
 * `onGap` reports that the start is older than what the stream keeps;
 * `onError` that the replay could not be set up at all.
 */
export interface ReplaySource {
  open(
    from: ResumePoint,
    deliver: (m: Replayed) => Promise<void> | void,
    onGap: (requested: number, firstKept: number) => void,
    onError: (message: string) => void,
  ): Replay;
}

/** Sends a final bar or anomaly with its stream position. */
export function sendDurable(c: Connection, m: Replayed): void {
  if (m.kind === "bar" && c.binary) return c.sendBinary(m.bytes);
  c.send(durableBody(m.kind, m.json, m.streamSeq));
}

/** (Re)starts a connection's replay of the stream from a point. */
export function startReplay(c: Connection, source: ReplaySource, from: ResumePoint): void {
  c.replay?.close();
  c.caughtUp = false;
  const live = () => c.open && c.replay === replay;
  const deliver = async (m: Replayed) => {
    if (!live()) return;
    const ch = m.kind === "bar" ? `bars:${(m.json as BarJson).window}` : "anomalies";
    if (c.wants(ch, m.json.symbol)) {
      // paced by the socket: a resumed client is never dropped from
      while (live() && c.congested) await new Promise((r) => setTimeout(r, 5));
      if (!live()) return;
      sendDurable(c, m);
    }
    if (m.pending === 0 && !c.caughtUp) {
      c.caughtUp = true;
      c.send(caughtUpBody(m.streamSeq));
    }
  };
  const onGap = (requested: number, firstKept: number) => {
    if (!live()) return;
    const why = `resumeFrom ${requested} is older than the stream keeps (retention): ` +
      `it starts at ${firstKept}`;
    c.error(null, ErrorCode.resumeGap, why);
  };
  const onError = (message: string) => {
    if (live()) c.error(null, ErrorCode.resumeUnavailable, `replay failed: ${message}`);
  };
  const replay: Replay = source.open(from, deliver, onGap, onError);
  c.replay = replay;
}
