// The report page's load under an emulated slow 4G network, recorded over
// the DevTools protocol: every request with its type, initiator, bytes on
// the wire and place in the chain of scripts and stylesheets. Shared by the
// budget test (caseloop.test.mjs), which asserts only what does not depend
// on the machine's speed (bytes, requests, chain depth, origins), and the
// time-to-usable benchmark (tests/bench/web-budget.mjs, scripts/web-budget.sh),
// which prints the milliseconds and asserts none.

// SLOW_4G is the emulated network: 400 kbit/s down and up, 400 ms RTT.
export const SLOW_4G = { offline: false, latency: 400, downloadThroughput: (400 * 1000) / 8, uploadThroughput: (400 * 1000) / 8 };
export const PROFILE = '400 kbit/s down and up, 400 ms RTT, cache disabled, 360×740';

// initiatorURL is the document or script that asked for a request: the
// parser's document, or the innermost script on the initiating stack
// (following async parents); '' for the browser itself (the navigation,
// the icon, the manifest).
function initiatorURL(init) {
  if (!init) return '';
  if (init.type === 'parser' || init.type === 'preload' || init.type === 'preflight') return init.url || '';
  for (let s = init.stack; s; s = s.parent) {
    const f = (s.callFrames || []).find((c) => c.url);
    if (f) return f.url;
  }
  return init.url || '';
}

const chained = (r) => r.type === 'Script' || r.type === 'Stylesheet';

// loadReportPage opens base/report in page (a logged-in page of the
// context) under SLOW_4G with the cache disabled, waits for the form to be
// usable, the map to be drawn and the network to be idle, and returns the
// requests and the times (ms since the navigation started; for the
// benchmark only).
export async function loadReportPage(page, base) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  const byId = new Map(); // requestId → the request's current hop
  const requests = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    const prev = byId.get(e.requestId);
    if (prev && e.redirectResponse) { prev.status = e.redirectResponse.status; prev.finishedAt = e.timestamp; prev.bytes = e.redirectResponse.encodedDataLength || 0; }
    const r = {
      url: e.request.url, type: e.type || 'Other', method: e.request.method, initiator: e.initiator?.type || '', from: initiatorURL(e.initiator),
      renderBlocking: e.request.renderBlockingBehavior || '', sentAt: e.timestamp, finishedAt: null, bytes: 0, status: 0, encoding: '', failed: '',
    };
    byId.set(e.requestId, r);
    requests.push(r);
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = byId.get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    const h = e.response.headers || {};
    r.encoding = h['Content-Encoding'] || h['content-encoding'] || '';
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = byId.get(e.requestId);
    if (r) { r.bytes = e.encodedDataLength; r.finishedAt = e.timestamp; }
  });
  cdp.on('Network.loadingFailed', (e) => {
    const r = byId.get(e.requestId);
    if (r) { r.failed = e.errorText || 'failed'; r.finishedAt = e.timestamp; }
  });
  try {
    const t0 = Date.now();
    await page.goto(`${base}/report`, { waitUntil: 'commit' });
    await page.locator('h1').waitFor();
    const shown = Date.now() - t0;
    await page.locator('#report-form[data-state="ready"]').waitFor({ timeout: 120_000 });
    const usable = Date.now() - t0;
    await page.locator('#report-map[data-state="ready"]').waitFor({ timeout: 120_000 });
    const mapReady = Date.now() - t0;
    await page.waitForLoadState('networkidle');
    const paint = await page.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return fcp ? Math.round(fcp.startTime) : null;
    });
    chain(requests);
    return { requests, times: { firstContentfulPaintMs: paint, contentShownMs: shown, usableMs: usable, mapReadyMs: mapReady } };
  } finally {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }).catch(() => {});
    await cdp.detach().catch(() => {});
  }
}

// chain sets each request's depth: the document is 0; what the parser or
// the browser asks for is one more than the document; what a script asks
// for is one more than that script, and a script or stylesheet that a
// script asks for only after another it asked for has arrived (Leaflet,
// then what builds on it) is one more than that one. Only the order of
// events counts, not how long they took.
function chain(requests) {
  const depthOf = new Map(); // url → depth of the request that brought it
  requests.forEach((r, i) => {
    if (i === 0) r.depth = 0;
    else if (!r.from) r.depth = 1;
    else r.depth = (depthOf.get(r.from) ?? 0) + 1;
    if (r.initiator === 'script' && chained(r)) {
      for (const s of requests.slice(0, i)) {
        if (chained(s) && s.from === r.from && s.initiator === 'script' && s.finishedAt !== null && s.finishedAt <= r.sentAt) r.depth = Math.max(r.depth, s.depth + 1);
      }
    }
    if (!depthOf.has(r.url)) depthOf.set(r.url, r.depth);
  });
}

// loopback says whether a request stays on this machine (data: and blob:
// URLs never leave the browser).
export function loopback(url) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

// table is the requests as lines for a report.
export function table(requests, base) {
  return requests.map((r) => `${String(r.bytes).padStart(7)} B d${r.depth} ${r.type.padEnd(10)} ${r.renderBlocking.padEnd(12)} ${r.encoding.padEnd(4)} ${r.failed ? `[${r.failed}] ` : ''}${r.url.replace(base, '')}`);
}
