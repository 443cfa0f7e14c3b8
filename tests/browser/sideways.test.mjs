// No page scrolls sideways on a small phone. Each demo role logs in and
// visits every page its menu offers (and the admin tabs those pages link
// to), plus the public pages — login, report, the map, area pages of every
// level and a case page — at 320 and 360 px, in zh-CN and en, normal and
// elderly mode. The page may be no wider than the screen
// (document.scrollingElement.scrollWidth <= clientWidth), and axe finds no
// serious violation. A page that fails is screenshotted as
// sideways-ROLE-PAGE-WIDTH-LANG[-elder]-failed.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, setup, axeViolations, describeViolations, reportOverAPI, gridPoint } from './harness.mjs';

setup();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts');
// Many pages per role on a shared 2-core machine.
const LONG = 600_000;

const roles = {
  resident: '19900000001',
  reporter: '19900000002',
  volunteer: '19900000003',
  grid_worker: '19900000004',
  building_role: '19900000005',
  community_staff: '19900000006',
  community_secretary: '19900000007',
  street_dispatcher: '19900000008',
  department_handler: '19900000009',
  district_admin: '19900000010',
  city_admin: '19900000011',
  auditor: '19900000012',
};
const GRID = '420102001001001';
const state = { caseId: 0 };

// The public pages: the map, an area page of each level and find.
const publicPages = ['/', '/login', '/glossary', '/grids/420102', '/grids/420102001', '/grids/420102001001', `/grids/${GRID}`, '/find?code=1'];

async function logIn(page, phone) {
  await page.goto(`${env.base}/login`, { waitUntil: 'domcontentloaded' });
  await page.locator('#login-phone').fill(phone);
  await page.locator('#login-password').fill('civicgrid-demo');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('form.login button[type="submit"]').click()]);
}

// menuPages lists the page menu's links, and the admin tabs of the pages
// it links to, as paths.
async function menuPages(page) {
  const hrefs = async () => page.evaluate(() => [...document.querySelectorAll('nav.page-nav a, nav.admin-tabs a')].map((a) => new URL(a.href).pathname));
  const out = new Set(await hrefs());
  for (const p of [...out].filter((x) => x.startsWith('/admin'))) {
    await page.goto(env.base + p, { waitUntil: 'load' });
    for (const h of await hrefs()) out.add(h);
  }
  return [...out];
}

// check visits one page in every language and mode at 320 and 360 px and
// returns what went wrong.
async function check(page, who, pathname) {
  const problems = [];
  for (const lang of ['zh-CN', 'en']) {
    for (const elder of [0, 1]) {
      const sep = pathname.includes('?') ? '&' : '?';
      await page.setViewportSize({ width: 320, height: 700 });
      await page.goto(`${env.base}${pathname}${sep}lang=${lang}&elder=${elder}`, { waitUntil: 'networkidle' });
      for (const width of [320, 360]) {
        await page.setViewportSize({ width, height: 700 });
        const { scroll, client } = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth }));
        if (scroll > client) {
          const name = `sideways-${who}-${pathname.replace(/[^a-z0-9]+/gi, '_')}-${width}-${lang}${elder ? '-elder' : ''}-failed.png`;
          await page.screenshot({ path: path.join(artifacts, name), fullPage: true });
          // Name the widest elements, to say what to fix.
          // (the outermost ones, leaving out the maps' own layers).
          const wide = await page.evaluate((w) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > w + 0.5 && !el.closest('.leaflet-container')
              && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 0.5))
            .slice(0, 4).map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''}→${Math.round(el.getBoundingClientRect().right)}`), client);
          problems.push(`${who} ${pathname} ${width}px ${lang}${elder ? ' elder' : ''}: ${scroll} > ${client} (${wide.join(', ')})`);
        }
      }
      const vs = await axeViolations(page);
      if (vs.length) problems.push(`${who} ${pathname} ${lang}${elder ? ' elder' : ''} axe:\n${describeViolations(vs)}`);
    }
  }
  return problems;
}

async function asRole(who, phone, fn) {
  await env.context.clearCookies();
  const page = await env.context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    if (phone) await logIn(page, phone);
    await fn(page);
    assert.deepEqual(errors, [], 'errors in the page');
  } finally {
    await page.close();
  }
}

test('a case to look at', { timeout: LONG }, async () => {
  const { lat, lng } = await gridPoint(GRID);
  const c = await reportOverAPI(roles.resident, { lat, lng, description: '楼道灯坏了，晚上看不见台阶 The stairwell light is broken' });
  state.caseId = c.id;
});

test('the public pages do not scroll sideways', { timeout: LONG }, async () => {
  await asRole('anonymous', null, async (page) => {
    const problems = [];
    for (const p of [...publicPages, `/cases/${state.caseId}`]) problems.push(...await check(page, 'anonymous', p));
    assert.deepEqual(problems, []);
  });
});

for (const [who, phone] of Object.entries(roles)) {
  test(`no page of a ${who} scrolls sideways`, { timeout: LONG }, async () => {
    await asRole(who, phone, async (page) => {
      await page.goto(`${env.base}/`, { waitUntil: 'load' });
      const pages = new Set([...await menuPages(page), '/report', `/cases/${state.caseId}`]);
      const problems = [];
      for (const p of pages) {
        if (p === '/') continue; // the map: with the public pages
        problems.push(...await check(page, who, p));
      }
      assert.deepEqual(problems, []);
    });
  });
}
