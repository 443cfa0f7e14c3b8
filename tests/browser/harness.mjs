// Shared harness of the browser tests: a real civicgrid demo server (the
// built binary on a port the kernel picks, with a fresh data directory) and Debian's
// chromium driven by playwright-core. Each test file calls setup() once.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.resolve(root, process.env.CIVICGRID_BIN || 'bin/civicgrid');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = path.join(root, 'test-artifacts');
const require = createRequire(import.meta.url);

// T is the per-test limit: a guard against a test that hangs, not a check
// of speed (each wait inside a test has its own limit and message). Two
// files run at once (make test) on a loaded 2-core machine make a test take
// two or three times as long as alone: 60 s was overrun by a sign-up flow
// that was making progress (107 s at load average 24).
export const T = 180_000;

let server; // the demo server's child process
let serverLog = '';
const tmpDirs = [];

// listeningAt waits for the demo server to say where it listens (it is
// started on port 0, so the kernel picks a free port as it binds: no other
// test file running beside this one can take it in between).
function listeningAt(proc, deadlineMs) {
  return new Promise((resolve, reject) => {
    const found = () => {
      const m = serverLog.match(/serving .* at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (!m) return false;
      done();
      resolve(m[1]);
      return true;
    };
    const onData = () => { found(); };
    const onExit = (code, signal) => { done(); reject(new Error(`civicgrid exited (${code ?? signal}) before it listened:\n${serverLog}`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`civicgrid did not say where it listens within ${deadlineMs} ms:\n${serverLog}`)); }, deadlineMs);
    function done() { clearTimeout(timer); proc.stdout.off('data', onData); proc.off('exit', onExit); }
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
    found();
  });
}

async function waitForHealth(url, proc, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`civicgrid exited (${proc.exitCode ?? proc.signalCode}) before it was healthy:\n${serverLog}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`civicgrid not healthy after ${deadlineMs} ms:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100)); // poll interval, not a wait for the page
  }
}

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
// Kill the server however the run ends.
process.on('exit', stopServer);

// WAIT is how long a wait for something the server does by itself (a
// text message in its log, a notification written by a worker, a webhook
// delivered) may take before the test fails: the same as every other wait
// of these tests (Playwright's default), whatever the machine's load.
export const WAIT = 30_000;

// serverLogged waits until find(the demo server's output so far) returns
// something, looking again as each piece of output arrives (no polling),
// and returns it; it fails after timeoutMs with what and the output.
export function serverLogged(find, what, timeoutMs = WAIT) {
  return new Promise((resolve, reject) => {
    const look = () => {
      const v = find(serverLog);
      if (!v) return;
      done();
      resolve(v);
    };
    const timer = setTimeout(() => { done(); reject(new Error(`${what}: not in the server's output after ${timeoutMs} ms:\n${serverLog.slice(-4000)}`)); }, timeoutMs);
    function done() { clearTimeout(timer); server.stdout.off('data', look); server.stderr.off('data', look); }
    server.stdout.on('data', look);
    server.stderr.on('data', look);
    look();
  });
}

// eventually calls check (an async function) until it returns something
// truthy (an effect the server makes on its own time, such as a
// notification written by a worker) and returns that; it fails with what
// after timeoutMs.
export async function eventually(check, what, timeoutMs = WAIT) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100)); // between two looks, not a wait for the result
  }
}

// env is filled in before the tests run: base (http://127.0.0.1:PORT),
// context (the browser: one persistent context on a fresh profile) and
// serverLog (what the demo printed).
export const env = { base: '', context: null, serverLog: '' };

// setup starts the demo server (with extra command-line args, such as a
// map provider) and the browser before the file's tests.
export function setup({ args = [] } = {}) {
before(async () => {
  await mkdir(artifacts, { recursive: true });
  const data = await mkdtemp(path.join(os.tmpdir(), 'civicgrid-data-'));
  const profile = await mkdtemp(path.join(os.tmpdir(), 'civicgrid-chromium-'));
  tmpDirs.push(data, profile);

  server = spawn(bin, ['demo', '--addr', '127.0.0.1:0', '--data', data, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.on('error', (err) => { serverLog += `spawn ${bin}: ${err.message}\n`; });
  server.stdout.on('data', (b) => { serverLog += b; env.serverLog = serverLog; });
  server.stderr.on('data', (b) => { serverLog += b; env.serverLog = serverLog; });
  const base = await listeningAt(server, 120_000);
  env.base = base;
  await waitForHealth(`${base}/healthz`, server, 60_000);

  env.context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
});

after(async () => {
  try {
    if (env.context) await env.context.close();
  } finally {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(stopServer, 10_000);
      await exited;
      clearTimeout(timer);
    }
    for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
  }
});
}

// withPage opens a page at the given size, runs fn, screenshots the page as
// NAME.png (NAME-failed.png when fn throws) and closes it. expectStatuses
// are further statuses the flow is answered on purpose (403 for a page the
// role may not open), which the browser logs as errors.
export async function withPage(name, viewport, fn, { keepCookies = false, expectStatuses = [] } = {}) {
  if (!keepCookies) await env.context.clearCookies();
  const page = await env.context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    // 404 and 422 are expected answers (unknown codes, places outside every
    // grid), and 401 to an API call made after logging out.
    const expected = new RegExp(`status of (${[401, 404, 422, ...expectStatuses].join('|')})`);
    if (msg.type() === 'error' && !expected.test(msg.text())) errors.push(msg.text());
  });
  try {
    await fn(page);
    assert.deepEqual(errors, [], 'errors in the page');
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  } catch (err) {
    await page.screenshot({ path: path.join(artifacts, `${name}-failed.png`), fullPage: true }).catch(() => {});
    if (errors.length) err.message += `\npage errors:\n  ${errors.join('\n  ')}`;
    throw err;
  } finally {
    await page.close();
  }
}


export async function axeViolations(page) {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source); // evaluate is not subject to the page's CSP
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(vs) {
  return vs.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n    ')}`).join('\n');
}


// reportOverAPI files a case as a demo user over the JSON API (not through
// the pages) and returns it.
export async function reportOverAPI(phone, { lat, lng, description }) {
  const login = await fetch(`${env.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone, password: 'civicgrid-demo' }),
  });
  assert.equal(login.status, 200, 'demo login');
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await login.json();
  const cats = (await (await fetch(`${env.base}/api/v1/categories`)).json()).categories;
  const res = await fetch(`${env.base}/api/v1/cases`, {
    method: 'POST',
    headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', 'Idempotency-Key': `${phone}-${lat}-${lng}` },
    body: JSON.stringify({ category: cats[0].code, lat, lng, description }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).case;
}

// logInAs logs a demo account in through the login page and waits to arrive
// at next.
export async function logInAs(page, phone, next) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#login-phone').fill(phone);
  await page.locator('#login-password').fill('civicgrid-demo');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login') && !u.pathname.startsWith('/api/')),
    page.locator('form.login button[type="submit"]').click()]);
}

// noSidewaysScroll fails when the page is wider than the window.
export async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the window`);
}

// openMenu opens the header's menu where it is folded behind the menu
// button (phones); on wide screens the menu is always shown.
export async function openMenu(page) {
  const button = page.locator('summary.menu-button');
  if (await button.isVisible() && !(await page.locator('details.site-menu').evaluate((d) => d.open))) await button.click();
}

// gridPoint is a point inside a grid (the mean of its outline's corners),
// as { lat, lng } and as a geolocation { latitude, longitude }.
export async function gridPoint(code) {
  const a = await (await fetch(`${env.base}/api/v1/areas/${code}`)).json();
  const ring = a.geometry.type === 'Polygon' ? a.geometry.coordinates[0] : a.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  const lng = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  return { lat, lng, latitude: lat, longitude: lng };
}

// logIn logs a demo account in (logInAs) and waits for the page it returns
// to (next) to settle.
export async function logIn(page, phone, next = '/') {
  await logInAs(page, phone, next);
  await page.waitForLoadState('networkidle');
}

// apiSession logs a demo account in over the JSON API and returns
// call(method, url, body, headers), a fetch with the session's cookie and
// CSRF token (JSON unless headers say otherwise); call.headers are those
// headers for a photo upload.
export async function apiSession(phone, password = 'civicgrid-demo') {
  const res = await fetch(`${env.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone, password }),
  });
  assert.equal(res.status, 200);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await res.json();
  const call = (method, url, body, headers = {}) => fetch(env.base + url, {
    method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', ...headers }, body: body && JSON.stringify(body),
  });
  call.headers = { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'image/jpeg' };
  return call;
}

// apiJSON is apiSession whose calls must succeed and answer JSON.
export async function apiJSON(phone) {
  const call = await apiSession(phone);
  return async (method, url, body, headers) => {
    const r = await call(method, url, body, headers);
    const text = await r.text();
    assert.ok(r.ok, `${method} ${url}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
}
