// The inbox: a resident's report is registered and another rejected by
// staff over the API; the resident finds both messages at /inbox on a
// phone, with the count in the header menu, opens one (it is marked read
// and the case opens), marks the rest read and turns SMS off — all with
// plain forms, in zh-CN and en, normal and elderly mode, without sideways
// scrolling at 360 px and without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, openMenu, apiJSON, eventually } from './harness.mjs';

setup();

const password = 'civicgrid-demo';
const resident = '19900000001'; // a building of grid 420102001001001
const staff = '19900000006'; // community staff of that grid's community
const GRID = '420102001001001';

async function gridPoint() {
  const a = await (await fetch(`${env.base}/api/v1/areas/${GRID}`)).json();
  const ring = a.geometry.type === 'Polygon' ? a.geometry.coordinates[0] : a.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return { lng: pts.reduce((s, p) => s + p[0], 0) / pts.length, lat: pts.reduce((s, p) => s + p[1], 0) / pts.length };
}

async function logIn(page, next) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#login-phone').fill(resident);
  await page.locator('#login-password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login') && !u.pathname.startsWith('/api/')),
    page.locator('form.login button[type="submit"]').click()]);
}

async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the window`);
}

const state = { registered: 0, rejected: 0 };

test('staff steps make messages in the resident\'s inbox', { timeout: T }, async () => {
  const asResident = await apiJSON(resident);
  const asStaff = await apiJSON(staff);
  const { lat, lng } = await gridPoint();
  for (const key of ['registered', 'rejected']) {
    const { case: c } = await asResident('POST', '/api/v1/cases', { category: 'C0005', description: `路灯不亮（${key}）`, lat, lng });
    state[key] = c.id;
  }
  await asStaff('POST', `/api/v1/cases/${state.registered}/register`);
  await asStaff('POST', `/api/v1/cases/${state.rejected}/reject`, { reason: 'unclear' });
  // The service hears of the steps at once; wait for it to have written them.
  const unread = await eventually(async () => {
    const n = (await asResident('GET', '/api/v1/notifications')).unread;
    return n >= 2 && n;
  }, 'two unread notifications');
  assert.equal(unread, 2);
});

test('the inbox on a phone: count in the menu, open a message, mark all read, SMS off', { timeout: T }, async () => {
  await withPage('inbox-360', { width: 360, height: 740 }, async (page) => {
    await logIn(page, '/inbox?lang=zh-CN&elder=0');
    // On a phone the menu folds behind a button, which shows that there is
    // something unread.
    assert.ok(await page.getByTestId('menu-unread').isVisible(), 'the menu button does not show unread messages');
    assert.equal(await page.getByTestId('menu-unread').textContent(), '消息（2条未读）');
    await openMenu(page);
    const link = page.locator('.page-nav a[href="/inbox"]');
    assert.equal(await link.innerText(), '消息（2条未读）');
    // Fold the menu again: open, it covers the page below it (as on a phone).
    await page.locator('summary.menu-button').click();
    // The inbox needs no script: the only one adds the browser push switch.
    const scripts = await page.locator('script').evaluateAll((ss) => ss.map((s) => new URL(s.src).pathname));
    assert.deepEqual(scripts, ['/static/push.js']);
    const items = page.locator('[data-testid="inbox"] > li');
    assert.equal(await items.count(), 2);
    assert.match(await items.nth(0).innerText(), /未予受理[\s\S]*照片或描述不清/);
    assert.match(await items.nth(1).innerText(), /已立案/);
    await noSidewaysScroll(page, 'the inbox');
    await page.screenshot({ path: 'test-artifacts/inbox-unread-360.png', fullPage: true });

    // Opening the registration message marks it read and shows the case.
    await Promise.all([page.waitForURL(`**/cases/${state.registered}`), items.nth(1).locator('button', { hasText: '查看工单' }).click()]);
    await openMenu(page);
    assert.equal(await page.locator('.page-nav a[href="/inbox"]').innerText(), '消息（1条未读）');

    await page.goto(`${env.base}/inbox`, { waitUntil: 'domcontentloaded' });
    await Promise.all([page.waitForURL(/done=read/), page.locator('button', { hasText: '全部标为已读' }).click()]);
    assert.equal(await page.locator('[data-testid="unread-count"]').innerText(), '0 条未读');
    // The menu button may still say that notices are unread, never messages.
    const still = page.getByTestId('menu-unread');
    assert.ok((await still.count()) === 0 || !(await still.textContent()).startsWith('消息'), 'the menu button shows unread messages when all are read');
    await openMenu(page);
    assert.equal(await page.locator('.page-nav a[href="/inbox"]').innerText(), '消息');

    const sms = page.locator('input[name="sms"][type="checkbox"]');
    assert.ok(await sms.isChecked());
    await sms.uncheck();
    await page.locator('#inbox-lang').selectOption('en');
    await Promise.all([page.waitForURL(/done=settings/), page.locator('button', { hasText: '保存设置' }).click()]);
    assert.ok(!(await page.locator('input[name="sms"][type="checkbox"]').isChecked()));
    assert.equal(await page.locator('#inbox-lang').inputValue(), 'en');
  });
});

for (const lang of ['zh-CN', 'en']) {
  for (const elder of [false, true]) {
    test(`the inbox at 360 and 1280 px (${lang}${elder ? ', elderly mode' : ''}): no sideways scroll, axe-clean`, { timeout: T }, async () => {
      for (const width of [360, 1280]) {
        const name = `inbox-${lang}${elder ? '-elder' : ''}-${width}`;
        await withPage(name, { width, height: 800 }, async (page) => {
          await logIn(page, `/inbox?lang=${lang}&elder=${elder ? 1 : 0}`);
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          await noSidewaysScroll(page, name);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      }
    });
  }
}

test('the site installs: the manifest and its icons load', { timeout: T }, async () => {
  await withPage('manifest', { width: 360, height: 740 }, async (page) => {
    await page.goto(`${env.base}/`, { waitUntil: 'domcontentloaded' });
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    const m = await (await fetch(new URL(href, env.base))).json();
    assert.equal(m.display, 'standalone');
    assert.equal(m.start_url, '/');
    for (const icon of m.icons) {
      const r = await fetch(new URL(icon.src, env.base));
      assert.equal(r.status, 200, icon.src);
    }
    assert.ok(m.icons.some((i) => i.sizes === '512x512' && i.type === 'image/png'));
  });
});
