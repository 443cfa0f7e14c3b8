// Browser tests of a GCJ-02 tile provider: the demo server runs with
// --map-provider amap and its tiles from a local tile server (127.0.0.1, one
// PNG for every tile), so no traffic leaves the machine. They prove that the
// tiles load (through the page's Content-Security-Policy) and that the
// WGS-84 ↔ GCJ-02 shift is applied both ways: a tap on the tiles at a known
// GCJ-02 position records its WGS-84 coordinate, and a case stored in WGS-84
// is drawn at its GCJ-02 position on the tiles. Positions on the tiles are
// computed here from the tile images' own z/x/y and the Web Mercator
// formulas, independently of the page's code; the shift itself comes from
// gcoord, the package the pages use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import gcoord from 'gcoord';
import { env, setup, withPage, reportOverAPI, axeViolations, describeViolations } from './harness.mjs';

const LONG = 180_000; // per-test limit (see T in harness.mjs)
const password = 'civicgrid-demo';
const resident = '19900000001';
const GRID = '420102001001001';

// ---- a local tile server: one 256×256 PNG (a light tile with an outline) ----

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function tilePNG() {
  const size = 256;
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    raw[y * (1 + size * 3)] = 0; // no filter
    for (let x = 0; x < size; x++) {
      const edge = x < 2 || y < 2 || x > size - 3 || y > size - 3;
      const o = y * (1 + size * 3) + 1 + x * 3;
      raw[o] = edge ? 150 : 226; raw[o + 1] = edge ? 170 : 236; raw[o + 2] = edge ? 190 : 222;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const png = tilePNG();
const tileRequests = [];
const tiles = http.createServer((req, res) => {
  const m = /^\/tiles\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url);
  if (!m) { res.writeHead(404); res.end(); return; }
  tileRequests.push(m.slice(1).map(Number));
  res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length });
  res.end(png);
});
await new Promise((resolve) => tiles.listen(0, '127.0.0.1', resolve));
tiles.unref();
const tileBase = `http://127.0.0.1:${tiles.address().port}`;

setup({ args: ['--map-provider', 'amap', '--tile-url', `${tileBase}/tiles/{z}/{x}/{y}.png`] });

// ---- Web Mercator, independent of the page ----

// worldPixel is a GCJ-02 point's pixel in the 256·2^z world of the tiles.
function worldPixel(lng, lat, z) {
  const scale = 256 * 2 ** z;
  const phi = (lat * Math.PI) / 180;
  return { x: ((lng + 180) / 360) * scale, y: ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * scale };
}

// screenPoint finds where a GCJ-02 point is on screen, from a loaded tile
// image of the map in container (at rest: see settled): its z/x/y (from its
// URL) and its place.
async function screenPoint(page, container, lng, lat) {
  const tile = await findTile(page, container);
  assert.ok(tile, 'no loaded tile in view');
  const [z, x, y] = /\/tiles\/(\d+)\/(\d+)\/(\d+)\.png/.exec(tile.src).slice(1).map(Number);
  const p = worldPixel(lng, lat, z);
  return { x: tile.left + (p.x - x * 256), y: tile.top + (p.y - y * 256), z };
}

// watchMoves makes every Leaflet map of the page count its ended moves
// (Leaflet's own 'moveend') in data-test-moveends and say data-test-moving
// between 'movestart' and 'moveend', so a test can wait for the map to be
// at rest instead of for a time.
async function watchMoves(page) {
  await page.addInitScript(() => {
    let leaflet;
    Object.defineProperty(window, 'L', {
      configurable: true,
      get: () => leaflet,
      set(v) {
        leaflet = v;
        v.Map.addInitHook(function () {
          const el = this.getContainer();
          el.dataset.testMoveends = '0';
          this.on('movestart', () => { el.dataset.testMoving = '1'; });
          this.on('moveend', () => { delete el.dataset.testMoving; el.dataset.testMoveends = String(Number(el.dataset.testMoveends) + 1); });
        });
      },
    });
  });
}

// moveends is how many moves the map in container has ended.
async function moveends(page, container) {
  return Number(await page.locator(container).getAttribute('data-test-moveends'));
}

// settled waits until the map in container has ended at least n moves and
// is not moving (no pan or zoom under way), then for its tiles.
async function settled(page, container, n) {
  await page.waitForFunction(([sel, n]) => {
    const el = document.querySelector(sel);
    return Number(el.dataset.testMoveends) >= n && !el.dataset.testMoving && !el.classList.contains('leaflet-zoom-anim');
  }, [container, n]);
  await waitForTiles(page, container);
}

// findTile is a loaded tile of the map in container whose centre is in view
// and which is drawn at its own size, or null.
function findTile(page, container) {
  return page.evaluate((sel) => {
    const imgs = [...document.querySelectorAll(`${sel} img.leaflet-tile-loaded`)];
    const r = document.querySelector(sel).getBoundingClientRect();
    // A tile whose centre is in view (its place is certain).
    for (const img of imgs) {
      const b = img.getBoundingClientRect();
      const cx = b.left + b.width / 2, cy = b.top + b.height / 2;
      // Tiles of the current zoom, at rest (not scaled by a zoom animation).
      if (cx > r.left && cx < r.right && cy > r.top && cy < r.bottom && Math.abs(b.width - 256) < 0.01) {
        return { src: img.src, left: b.left, top: b.top, width: b.width };
      }
    }
    return null;
  }, container);
}

function metres(a, b) {
  const dLat = (a.lat - b.lat) * 111_320, dLng = (a.lng - b.lng) * 111_320 * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(dLat, dLng);
}

// A point well inside the demo accounts' grid (WGS-84).
async function gridPoint() {
  const a = await (await fetch(`${env.base}/api/v1/areas/${GRID}`)).json();
  const ring = (a.geometry.type === 'Polygon' ? a.geometry.coordinates[0] : a.geometry.coordinates[0][0]).slice(0, -1);
  return { lng: ring.reduce((s, p) => s + p[0], 0) / ring.length, lat: ring.reduce((s, p) => s + p[1], 0) / ring.length };
}

async function logIn(page, next) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#login-phone').fill(resident);
  await page.locator('#login-password').fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname === next), page.locator('form.login button[type="submit"]').click()]);
}

// waitForTiles waits until the map's tiles have come from the local server.
async function waitForTiles(page, container) {
  await page.waitForFunction((sel) => {
    const imgs = document.querySelectorAll(`${sel} img.leaflet-tile`);
    const map = document.querySelector(sel);
    return imgs.length > 0 && !map.classList.contains('leaflet-zoom-anim') &&
      [...imgs].every((i) => i.classList.contains('leaflet-tile-loaded') && i.naturalWidth === 256);
  }, container);
}

test('tiles of a configured GCJ-02 provider load, and a tap at a GCJ-02 position records its WGS-84 coordinate', { timeout: LONG }, async () => {
  // 20 m east and 12 m north of the grid's middle, where the place search
  // below puts the pin first: the tap must move it.
  const mid = await gridPoint();
  const wgs = { lng: mid.lng + 20 / (111_320 * Math.cos((mid.lat * Math.PI) / 180)), lat: mid.lat + 12 / 111_320 };
  const [gLng, gLat] = gcoord.transform([wgs.lng, wgs.lat], gcoord.WGS84, gcoord.GCJ02);
  const shift = metres({ lng: gLng, lat: gLat }, wgs);
  assert.ok(shift > 200, `GCJ-02 is ${shift} m from WGS-84 here: too close to prove a shift`);

  await withPage('tiles-report-1280-zh', { width: 1280, height: 800 }, async (page) => {
    const before = tileRequests.length;
    await watchMoves(page);
    await logIn(page, '/report');
    await page.locator('#report-map[data-state="ready"]').waitFor();
    await waitForTiles(page, '#report-map');
    assert.ok(tileRequests.length > before, 'no tile was asked of the local tile server');
    const src = await page.locator('#report-map img.leaflet-tile').first().getAttribute('src');
    assert.ok(src.startsWith(`${tileBase}/tiles/`), src);
    assert.match(await page.locator('#report-map .leaflet-control-attribution').innerText(), /高德/);

    // Bring the place into view with the place search (the page's own way).
    await page.locator('#place-q').fill('三阳社区第1网格');
    await page.locator('#place-go').click();
    const moved = await moveends(page, '#report-map');
    await page.locator(`#place-results button[data-code="${GRID}"]`).click();
    await page.locator('#place-status[data-grid]').waitFor();
    await settled(page, '#report-map', moved + 1); // the search's move to the place (animated or not) has ended

    // Tap where the tiles show the GCJ-02 point.
    const pinned = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cg-report-draft')));
    assert.ok(metres(pinned, wgs) > 15, 'the search put the pin on the test point already');
    const at = await screenPoint(page, '#report-map', gLng, gLat);
    const box = await page.locator('#report-map').boundingBox();
    assert.ok(at.x > box.x + 50 && at.x < box.x + box.width - 50 && at.y > box.y + 50 && at.y < box.y + box.height - 50,
      `the GCJ-02 point is at ${at.x},${at.y}, outside the map ${JSON.stringify(box)}`);
    await page.mouse.click(at.x, at.y);
    await page.waitForFunction((before) => {
      const d = JSON.parse(sessionStorage.getItem('cg-report-draft') || '{}');
      return d.grid && (d.lat !== before.lat || d.lng !== before.lng);
    }, pinned);
    const draft = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cg-report-draft')));
    const off = metres(draft, wgs);
    const metresPerPixel = (156543.03 * Math.cos((wgs.lat * Math.PI) / 180)) / 2 ** at.z;
    assert.ok(off <= 2 * metresPerPixel + 0.5, `the tap recorded ${draft.lat},${draft.lng}: ${off.toFixed(2)} m from the WGS-84 point (1 px = ${metresPerPixel.toFixed(2)} m)`);
    assert.ok(metres(draft, { lng: gLng, lat: gLat }) > shift / 2, 'the tap recorded the GCJ-02 coordinate unshifted');
    assert.equal(draft.grid, GRID);
  });
});

test('a case stored in WGS-84 is drawn at its GCJ-02 position, and "navigate" opens AMap with GCJ-02 coordinates', { timeout: LONG }, async () => {
  const wgs = await gridPoint();
  const [gLng, gLat] = gcoord.transform([wgs.lng, wgs.lat], gcoord.WGS84, gcoord.GCJ02);
  const { id } = await reportOverAPI(resident, { lat: wgs.lat, lng: wgs.lng, description: '路灯不亮' });

  await withPage('tiles-case-360-zh', { width: 360, height: 740 }, async (page) => {
    await watchMoves(page);
    await logIn(page, `/cases/${id}`);
    await page.locator('#case-map[data-state="ready"]').waitFor();
    // Two moves: the first view, then the fit to the case's grid (started
    // just before the map says it is ready).
    await settled(page, '#case-map', 2);
    const want = await screenPoint(page, '#case-map', gLng, gLat);
    const marker = await page.locator('#case-map path.case-marker').boundingBox();
    const drawn = { x: marker.x + marker.width / 2, y: marker.y + marker.height / 2 };
    const px = Math.hypot(drawn.x - want.x, drawn.y - want.y);
    assert.ok(px <= 1.5, `the case is drawn ${px.toFixed(2)} px from its GCJ-02 position on the tiles`);

    assert.equal(await page.locator('[data-testid="nav-geo"]').getAttribute('href'), `geo:${wgs.lat},${wgs.lng}?q=${wgs.lat},${wgs.lng}`);
    const amap = new URL(await page.locator('[data-testid="nav-provider"]').getAttribute('href'));
    assert.equal(amap.host, 'uri.amap.com');
    const [lng, lat] = amap.searchParams.get('position').split(',').map(Number);
    assert.ok(Math.abs(lng - gLng) < 2e-6 && Math.abs(lat - gLat) < 2e-6, `AMap link at ${lng},${lat}, want GCJ-02 ${gLng},${gLat}`);
    assert.equal(amap.searchParams.get('coordinate'), 'gaode');

    const vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
  });
});
