// tickwire dashboard: candlesticks + volume per symbol and window from the
// REST history and the WebSocket stream, an OHLCV legend under the
// crosshair, last price and change, timeframe buttons, a symbol filter,
// anomaly markers with their explanation, a time-zone choice, a price scale
// that flagged prints cannot flatten, and the feed statistics.
// A token, when the server needs one, comes from the URL: /#token=...
(() => {
  "use strict";
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const auth = token ? { headers: { authorization: `Bearer ${token}` } } : {};
  const $ = (id) => document.getElementById(id);
  const LC = window.LightweightCharts;
  const state = {
    symbol: null,
    window: null,
    ws: null,
    candles: 0,
    anomalies: 0,
    markers: 0,
    tz: "UTC",
    symbols: [],
  };
  window.__tickwire = state;

  /** What each anomaly kind means, for the marker's explanation. */
  const EXPLAIN = {
    price_spike: "print far from the recent price",
    fat_finger: "price about 10x (or 1/10) off: a likely keying error",
    volume_burst: "size far above this symbol's usual",
    crossed_quote: "bid above ask",
    stale: "symbol silent for long, then traded",
    gap: "sequence gap: ticks missing",
    unexplained: "the model scored it unusual",
  };

  // ------------------------------------------------------------ time zone

  const fmtCache = new Map();
  function parts(sec, opts) {
    const key = state.tz + JSON.stringify(opts);
    let f = fmtCache.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat("en-GB", {
        ...opts,
        hourCycle: "h23",
        timeZone: state.tz === "local" ? undefined : state.tz,
      });
      fmtCache.set(key, f);
    }
    return f.format(new Date(sec * 1000));
  }
  const fullTime = (sec) =>
    parts(sec, {
      year: "numeric",
      month: "short",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  // tick marks: the date where the day changes, else the time
  const tickMark = (sec, type) =>
    type <= 2 ? parts(sec, { day: "2-digit", month: "short" }) : parts(sec, {
      hour: "2-digit",
      minute: "2-digit",
      second: type === 4 ? "2-digit" : undefined,
    });

  // ------------------------------------------------------------ chart

  const chart = LC.createChart($("chart"), {
    autoSize: true,
    layout: { background: { color: "#101418" }, textColor: "#d8dee4" },
    grid: { vertLines: { color: "#1c242c" }, horzLines: { color: "#1c242c" } },
    timeScale: {
      timeVisible: true,
      secondsVisible: true,
      barSpacing: 10,
      rightOffset: 4,
      tickMarkFormatter: tickMark,
    },
    localization: { timeFormatter: fullTime },
  });
  const bars = []; // shown bars, oldest first (for the legend and the price scale)
  const flagged = new Set(); // bar times holding a flagged print
  const candles = chart.addSeries(LC.CandlestickSeries, {
    upColor: "#26a69a",
    downColor: "#ef5350",
    borderVisible: false,
    wickUpColor: "#26a69a",
    wickDownColor: "#ef5350",
    autoscaleInfoProvider: robustScale,
  });
  const volume = chart.addSeries(LC.HistogramSeries, {
    priceFormat: { type: "volume" },
    priceScaleId: "",
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  const markers = LC.createSeriesMarkers ? LC.createSeriesMarkers(candles, []) : null;
  const markerList = [];
  const anomaliesAt = new Map(); // bar time -> anomalies, for the legend
  let channelsShown = []; // the symbol channels subscribed for the chart

  /**
   * The price range of the visible bars from their bodies, widened by
   * wicks that stay near them. A flagged print (a fat finger at 10x) or a
   * wick far outside would flatten every other candle: it is left off the
   * scale (drawn clipped) instead.
   */
  function robustScale(base) {
    const r = chart.timeScale().getVisibleLogicalRange();
    if (!r || bars.length === 0) return base();
    const from = Math.max(0, Math.floor(r.from)), to = Math.min(bars.length - 1, Math.ceil(r.to));
    let lo = Infinity, hi = -Infinity;
    for (let i = from; i <= to; i++) {
      lo = Math.min(lo, bars[i].open, bars[i].close);
      hi = Math.max(hi, bars[i].open, bars[i].close);
    }
    if (!(hi >= lo)) return base();
    const reach = Math.max(hi - lo, hi * 0.002) * 0.5;
    for (let i = from; i <= to; i++) {
      if (flagged.has(bars[i].time)) continue;
      if (bars[i].low >= lo - reach) lo = Math.min(lo, bars[i].low);
      if (bars[i].high <= hi + reach) hi = Math.max(hi, bars[i].high);
    }
    return { priceRange: { minValue: lo, maxValue: hi } };
  }

  const point = (b) => ({
    time: Math.floor(Date.parse(b.start) / 1000),
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    buy: b.buy_volume ?? 0,
    sell: b.sell_volume ?? 0,
  });
  const vol = (p) => ({
    time: p.time,
    value: p.volume,
    color: p.close >= p.open ? "#26a69a88" : "#ef535088",
  });
  function addBar(b) {
    const p = point(b);
    const last = bars[bars.length - 1];
    if (last && p.time < last.time) return; // the chart only moves forward
    if (last && p.time === last.time) bars[bars.length - 1] = p; // a live bar, updated in place
    else {
      bars.push(p);
      state.candles++;
    }
    candles.update(p);
    volume.update(vol(p));
    showLast();
  }

  // ------------------------------------------------------------ legend, last price

  const num = (x) => (Math.abs(x) >= 1000 ? x.toFixed(2) : x.toPrecision(6).replace(/\.?0+$/, ""));
  function showLast() {
    const last = bars[bars.length - 1], first = bars[0];
    if (!last) {
      $("last").textContent = "–";
      return;
    }
    const ch = last.close - first.open, pct = (ch / first.open) * 100;
    $("last").textContent = `${num(last.close)} ${ch >= 0 ? "+" : ""}${num(ch)} (${
      pct >= 0 ? "+" : ""
    }${pct.toFixed(2)}%)`;
    $("last").className = `last ${ch >= 0 ? "up" : "down"}`;
  }

  function legendFor(p) {
    const el = $("legend");
    el.replaceChildren();
    if (!p) return;
    const line = document.createElement("div");
    line.textContent = `${state.symbol} ${state.window}  ${fullTime(p.time)}  O ${num(p.open)}  H ${
      num(p.high)
    }  L ${num(p.low)}  C ${num(p.close)}  V ${p.volume} (buy ${p.buy} / sell ${p.sell})`;
    el.append(line);
    for (const a of anomaliesAt.get(p.time) ?? []) {
      const d = document.createElement("div");
      d.className = "anomaly";
      d.textContent = `⚠ ${a.kind} (score ${Number(a.score).toFixed(2)}): ${
        EXPLAIN[a.kind] ?? "flagged"
      }${a.price !== undefined ? ` — price ${num(a.price)}, size ${a.size}` : ""}`;
      el.append(d);
    }
  }
  chart.subscribeCrosshairMove((param) => {
    if (param.time === undefined) legendFor(bars[bars.length - 1]);
    else legendFor(bars.find((b) => b.time === param.time));
  });

  // ------------------------------------------------------------ data

  async function getJson(path) {
    const r = await fetch(path, auth);
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return r.json();
  }

  async function load() {
    const q = `symbol=${encodeURIComponent(state.symbol)}&window=${state.window}`;
    const [hist, an] = await Promise.all([
      getJson(`/v1/bars?${q}&limit=1000`),
      getJson(`/v1/anomalies?since=0`),
    ]);
    const list = hist.bars.filter((b) => b.volume > 0 || b.filled).map(point);
    bars.splice(0, bars.length, ...list);
    markerList.length = 0;
    anomaliesAt.clear();
    flagged.clear();
    for (const a of an.anomalies) if (a.symbol === state.symbol) addAnomaly(a, false);
    candles.setData(bars);
    volume.setData(bars.map(vol));
    markers?.setMarkers(markerList.slice(-200));
    state.candles = bars.length;
    state.markers = markerList.length;
    showLast();
    legendFor(bars[bars.length - 1]);
    subscribe();
  }

  /** The start of the bar holding `time` in the shown window (seconds). */
  function barTime(time) {
    const ms = Date.parse(time), w = windowMs(state.window);
    return Math.floor(Math.floor(ms / w) * w / 1000);
  }
  function windowMs(w) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(w);
    if (!m) return 1000;
    return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2]];
  }

  /** An anomaly of the shown symbol: counted, marked on its candle, explained in the legend. */
  function addAnomaly(m, live = true) {
    if (live) {
      state.anomalies++;
      $("s-anom").textContent = state.anomalies;
    }
    const t = barTime(m.time);
    if (!anomaliesAt.has(t)) anomaliesAt.set(t, []);
    anomaliesAt.get(t).push(m);
    if (m.kind === "fat_finger" || m.kind === "price_spike") flagged.add(t);
    markerList.push({
      time: t,
      position: "aboveBar",
      color: "#ffb300",
      shape: "arrowDown",
      text: m.kind,
    });
    if (live) {
      state.markers = markerList.length;
      markers?.setMarkers(markerList.slice(-200));
    }
  }

  function subscribe() {
    const ws = state.ws;
    if (!ws || ws.readyState !== 1) return;
    if (channelsShown.length) {
      ws.send(
        JSON.stringify({ op: "unsubscribe", id: 1, channels: channelsShown, symbols: ["*"] }),
      );
    }
    channelsShown = ["bars:" + state.window, "anomalies"];
    ws.send(
      JSON.stringify({ op: "subscribe", id: 2, channels: channelsShown, symbols: [state.symbol] }),
    );
    subscribeBook();
  }

  // ------------------------------------------------------------ depth ladder

  let bookSymbol = null, bookServed = true; // false once the server says it has no books
  function subscribeBook() {
    const ws = state.ws;
    if (!ws || ws.readyState !== 1 || !bookServed || bookSymbol === state.symbol) return;
    if (bookSymbol) {
      ws.send(
        JSON.stringify({ op: "unsubscribe", id: 5, channels: ["book"], symbols: [bookSymbol] }),
      );
    }
    bookSymbol = state.symbol;
    $("book").hidden = true;
    ws.send(JSON.stringify({
      op: "subscribe",
      id: 4,
      channels: ["book"],
      symbols: [bookSymbol],
      depth: 10,
    }));
  }
  function levelRow(side, l, max) {
    const tr = document.createElement("tr");
    tr.className = side;
    const bar = document.createElement("span");
    bar.style.width = `${Math.round((100 * l.size) / max)}%`;
    for (const [cls, text] of [["orders", l.orders], ["size", l.size], ["price", num(l.price)]]) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = String(text);
      if (cls === "size") td.append(bar);
      tr.append(td);
    }
    return tr;
  }
  function showBook(m) {
    $("book").hidden = false;
    $("book-stale").textContent = m.stale ? "stale (gap)" : "";
    const max = Math.max(1, ...m.bids.map((l) => l.size), ...m.asks.map((l) => l.size));
    const rows = [...m.asks].reverse().map((l) => levelRow("ask", l, max));
    const bids = m.bids.map((l) => levelRow("bid", l, max));
    if (bids.length) bids[0].classList.add("spread");
    $("ladder").tBodies[0].replaceChildren(...rows, ...bids);
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
      channelsShown = [];
      bookSymbol = null;
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
      else if (m.type === "book" && m.symbol === state.symbol) showBook(m);
      else if (m.type === "error" && m.id === 4) bookServed = false; // no --protocol itch
    };
  }

  // ------------------------------------------------------------ stats panel

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

  // ------------------------------------------------------------ controls

  /** Fills a <select> with options whose labels are set as text (never markup). */
  function options(select, values, selected) {
    select.replaceChildren(...values.map((v) => {
      const o = document.createElement("option");
      o.textContent = v;
      o.selected = v === selected;
      return o;
    }));
  }

  /** The symbol list narrowed by the filter; the chart follows to the first match. */
  function showSymbols() {
    const f = $("filter").value.trim().toUpperCase();
    const names = state.symbols.filter((s) => s.includes(f));
    if (f && names.length && !names.includes(state.symbol)) {
      state.symbol = names[0];
      if (state.window) load();
    }
    options($("symbol"), names.length ? names : [state.symbol], state.symbol);
  }

  function timeframes(windows) {
    $("tf").replaceChildren(...windows.map((w) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = w;
      b.setAttribute("aria-pressed", String(w === state.window));
      b.onclick = () => {
        state.window = w;
        for (const x of $("tf").children) x.setAttribute("aria-pressed", String(x === b));
        load();
      };
      return b;
    }));
  }

  function redrawTimes() {
    fmtCache.clear();
    chart.applyOptions({
      localization: { timeFormatter: fullTime },
      timeScale: { tickMarkFormatter: tickMark },
    });
    legendFor(bars[bars.length - 1]);
  }

  async function refreshSymbols() {
    const r = await getJson("/v1/symbols");
    state.symbols = r.symbols.map((s) => s.symbol);
    if (!state.symbol && state.symbols.length) {
      state.symbol = state.symbols[0];
      if (state.window) load();
    }
    showSymbols();
    return r;
  }

  async function init() {
    const { windows } = await refreshSymbols();
    const usable = windows.filter((w) => !/^\d+ms$/.test(w)); // the chart's time unit is a second
    state.window = usable[0];
    timeframes(usable);
    $("symbol").onchange = () => {
      state.symbol = $("symbol").value;
      load();
    };
    $("filter").oninput = showSymbols;
    $("tz").onchange = () => {
      state.tz = $("tz").value;
      redrawTimes();
    };
    connect();
    showStats(await getJson("/v1/stats"));
    if (state.symbol) await load();
    setInterval(() => refreshSymbols().catch(() => {}), 3000); // new symbols appear as the feed runs
  }
  init().catch((e) => {
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    p.textContent = e.message; // names and messages are text, never markup
    document.body.append(p);
  });
})();
