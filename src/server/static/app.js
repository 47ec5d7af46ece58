// tickwire dashboard: candlesticks + volume per symbol and window from the
// REST history and the WebSocket stream, anomaly markers, feed statistics.
// A token, when the server needs one, comes from the URL: /#token=...
(() => {
  "use strict";
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const auth = token ? { headers: { authorization: `Bearer ${token}` } } : {};
  const $ = (id) => document.getElementById(id);
  const LC = window.LightweightCharts;
  const state = { symbol: null, window: null, ws: null, candles: 0, anomalies: 0 };
  window.__tickwire = state;

  const chart = LC.createChart($("chart"), {
    autoSize: true,
    layout: { background: { color: "#101418" }, textColor: "#d8dee4" },
    grid: { vertLines: { color: "#1c242c" }, horzLines: { color: "#1c242c" } },
    timeScale: { timeVisible: true, secondsVisible: true, barSpacing: 10, rightOffset: 4 },
  });
  const candles = chart.addSeries(LC.CandlestickSeries, {
    upColor: "#26a69a",
    downColor: "#ef5350",
    borderVisible: false,
    wickUpColor: "#26a69a",
    wickDownColor: "#ef5350",
  });
  const volume = chart.addSeries(LC.HistogramSeries, {
    priceFormat: { type: "volume" },
    priceScaleId: "",
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  const markers = LC.createSeriesMarkers ? LC.createSeriesMarkers(candles, []) : null;
  const markerList = [];

  const point = (b) => ({
    time: Math.floor(Date.parse(b.start) / 1000),
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
  });
  const vol = (b) => ({
    time: Math.floor(Date.parse(b.start) / 1000),
    value: b.volume,
    color: b.close >= b.open ? "#26a69a88" : "#ef535088",
  });
  let lastTime = 0;
  function addBar(b) {
    const p = point(b);
    if (p.time < lastTime) return; // the chart only moves forward
    if (p.time > lastTime) state.candles++;
    lastTime = p.time;
    candles.update(p);
    volume.update(vol(b));
  }

  async function getJson(path) {
    const r = await fetch(path, auth);
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return r.json();
  }

  async function load() {
    const hist = await getJson(
      `/v1/bars?symbol=${encodeURIComponent(state.symbol)}&window=${state.window}&limit=1000`,
    );
    const bars = hist.bars.filter((b) => b.volume > 0 || b.filled);
    candles.setData(bars.map(point));
    volume.setData(bars.map(vol));
    state.candles = bars.length;
    lastTime = bars.length ? point(bars[bars.length - 1]).time : 0;
    markerList.length = 0;
    markers?.setMarkers([]);
    subscribe();
  }

  function subscribe() {
    const ws = state.ws;
    if (!ws || ws.readyState !== 1) return;
    ws.send(
      JSON.stringify({
        op: "unsubscribe",
        id: 1,
        channels: ["bars:" + state.window, "anomalies"],
        symbols: ["*"],
      }),
    );
    ws.send(
      JSON.stringify({
        op: "subscribe",
        id: 2,
        channels: ["bars:" + state.window, "anomalies"],
        symbols: [state.symbol],
      }),
    );
  }

  function connect() {
    const ws = new WebSocket(
      `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream`,
    );
    state.ws = ws;
    ws.onopen = () => {
      $("conn").classList.add("on");
      if (token) ws.send(JSON.stringify({ op: "auth", id: 0, token }));
      ws.send(JSON.stringify({ op: "subscribe", id: 3, channels: ["stats"], symbols: ["*"] }));
      if (state.symbol) subscribe();
    };
    ws.onclose = () => {
      $("conn").classList.remove("on");
      setTimeout(connect, 1000);
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      const m = JSON.parse(e.data);
      if (m.type === "bar" && m.symbol === state.symbol && m.window === state.window) addBar(m);
      else if (m.type === "snapshot") {
        for (const b of m.bars) {
          if (b.symbol === state.symbol && b.window === state.window) addBar(b);
        }
      } else if (m.type === "stats") showStats(m);
      else if (m.type === "anomaly" && m.symbol === state.symbol) addAnomaly(m);
    };
  }

  /** An anomaly of the shown symbol: counted, and marked on its candle. */
  function addAnomaly(m) {
    state.anomalies++;
    $("s-anom").textContent = state.anomalies;
    markerList.push({
      time: Math.floor(Date.parse(m.time) / 1000),
      position: "aboveBar",
      color: "#ffb300",
      shape: "arrowDown",
      text: m.kind,
    });
    state.markers = markerList.length;
    markers?.setMarkers(markerList.slice(-200));
  }

  const fmt = (x) =>
    x >= 1e6
      ? (x / 1e6).toFixed(2) + "M"
      : x >= 1e3
      ? (x / 1e3).toFixed(1) + "k"
      : String(Math.round(x));
  function showStats(s) {
    if (s.role === "gateway") { // a cluster gateway: no feed or ring of its own
      const g = s.gateway;
      $("s-feed").textContent = `gateway (NATS ${s.nats.server})`;
      $("s-rate").textContent = "–";
      $("s-ticks").textContent = fmt(g.trades_received) + " trades";
      $("s-ring").textContent = "–";
      $("s-drops").textContent = fmt(g.decode_errors);
      $("s-gaps").textContent = "–";
      $("s-late").textContent = "–";
      $("s-lat").textContent = `stream #${g.last_stream_seq}`;
      return;
    }
    $("s-feed").textContent = s.feed;
    $("s-rate").textContent = fmt(s.ticks_per_s);
    $("s-ticks").textContent = fmt(s.pipeline.ticks);
    $("s-ring").textContent = (s.ring.fill * 100).toFixed(1) + "%";
    $("s-drops").textContent = fmt(s.ring.drops);
    $("s-gaps").textContent = s.pipeline.gaps;
    $("s-late").textContent = s.pipeline.late;
    $("s-lat").textContent = `${(s.latency_ns.p50 / 1e3).toFixed(1)} / ${
      (s.latency_ns.p99 / 1e3).toFixed(1)
    }`;
  }

  /** Fills a <select> with options whose labels are set as text (never markup). */
  function options(select, values, selected) {
    select.replaceChildren(...values.map((v) => {
      const o = document.createElement("option");
      o.textContent = v;
      o.selected = v === selected;
      return o;
    }));
  }

  async function init() {
    const { symbols, windows } = await getJson("/v1/symbols");
    const usable = windows.filter((w) => !/^\d+ms$/.test(w)); // the chart's time unit is a second
    options($("window"), usable, usable[0]);
    const fill = (list) => options($("symbol"), list.map((s) => s.symbol), $("symbol").value);
    fill(symbols);
    state.window = usable[0];
    state.symbol = symbols[0]?.symbol ?? null;
    $("symbol").onchange = () => {
      state.symbol = $("symbol").value;
      load();
    };
    $("window").onchange = () => {
      state.window = $("window").value;
      load();
    };
    connect();
    showStats(await getJson("/v1/stats"));
    if (state.symbol) await load();
    setInterval(async () => { // new symbols appear as the feed runs
      const r = await getJson("/v1/symbols");
      fill(r.symbols);
      if (!state.symbol && r.symbols.length) {
        state.symbol = r.symbols[0].symbol;
        load();
      }
    }, 3000);
  }
  init().catch((e) => {
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    p.textContent = e.message; // names and messages are text, never markup
    document.body.append(p);
  });
})();
