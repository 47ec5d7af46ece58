// Why the main loop yields a macrotask between passes: a Deno.serve
// WebSocket server sends 200,000 messages to a client in another process,
// pausing every 500 sends either with a resolved promise (a microtask, what
// the loop did when events were already waiting) or with setImmediate (one
// event-loop turn). It prints the most bytes left unwritten and what the
// client had received 200 ms in. Run: deno run -A bench/ws_yield.ts
import { setImmediate } from "node:timers";

const PORT = 47312 + (Deno.pid % 1000);
const client = `const ws = new WebSocket("ws://127.0.0.1:${PORT}/"); let n = 0;
ws.onmessage = () => n++; setTimeout(() => { console.log(n); Deno.exit(0); }, 200);`;

for (const pause of ["microtask", "setImmediate"] as const) {
  const open = Promise.withResolvers<WebSocket>();
  const server = Deno.serve({ port: PORT, onListen() {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => open.resolve(socket);
    return response;
  });
  const proc = new Deno.Command(Deno.execPath(), { args: ["eval", client], stdout: "piped" })
    .spawn();
  const ws = await open.promise;
  const body = "x".repeat(120);
  let most = 0;
  for (let i = 0; i < 200_000; i++) {
    ws.send(body);
    if (i % 500 !== 0) continue;
    most = Math.max(most, ws.bufferedAmount);
    await (pause === "microtask" ? Promise.resolve() : new Promise((r) => setImmediate(r)));
  }
  const got = new TextDecoder().decode((await proc.output()).stdout).trim();
  console.log(`${pause.padEnd(12)} most bytes unwritten ${most}, client had ${got} after 200 ms`);
  ws.close();
  await server.shutdown();
}
