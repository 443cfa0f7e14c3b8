// Browser tests of the city's settings pages with the demo city admin: the
// working calendar (a holiday added and removed, each after a confirmation;
// a bad day refused with nothing written); Open311 client keys (shown once,
// then by prefix; revoked after a confirmation, and refused after). Then each page at 360 and 1280
// px, zh-CN and en, normal and elderly mode: screenshots, axe, and no
// sideways scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, openMenu, logIn } from './harness.mjs';

setup();

const cityAdmin = '19900000011';
const districtAdmin = '19900000010';
const YEAR = new Date().getFullYear() + 1;

// refusedPage is withPage for flows that are answered 400 or 403 on
// purpose (a refused form, a page the role may not open): the browser logs
// those statuses, and only they, as errors.
async function refusedPage(name, viewport, fn) {
  await env.context.clearCookies();
  const page = await env.context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (400|403|409)/.test(msg.text())) errors.push(msg.text());
  });
  try {
    await fn(page);
    assert.deepEqual(errors, [], 'errors in the page');
    await page.screenshot({ path: `test-artifacts/${name}.png`, fullPage: true });
  } catch (err) {
    await page.screenshot({ path: `test-artifacts/${name}-failed.png`, fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await page.close();
  }
}

// firstWeekday is the first Monday to Friday of March next year that the
// shipped schedule leaves a working day (March has no national holiday).
function firstWeekday() {
  for (let d = 2; ; d++) {
    const t = new Date(Date.UTC(YEAR, 2, d));
    if (t.getUTCDay() >= 1 && t.getUTCDay() <= 5) return t.toISOString().slice(0, 10);
  }
}
function firstSaturday() {
  for (let d = 1; ; d++) {
    const t = new Date(Date.UTC(YEAR, 2, d));
    if (t.getUTCDay() === 6) return t.toISOString().slice(0, 10);
  }
}

test('the city admin adds and removes a holiday, each after confirming', { timeout: T }, async () => {
  await refusedPage('admin-calendar-flow-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, cityAdmin, '/?lang=zh-CN&elder=0');
    await page.getByRole('navigation', { name: '页面导航' }).getByRole('link', { name: '管理' }).click();
    await page.getByRole('link', { name: '工作日历' }).click();
    await page.waitForURL(/\/admin\/calendar$/);
    await page.goto(`${env.base}/admin/calendar?year=${YEAR}`, { waitUntil: 'networkidle' });
    const day = firstWeekday();
    const form = page.getByTestId('calendar-form');
    await form.getByLabel('日期').fill(day);
    await form.getByLabel(/^放假/).check();
    await form.getByLabel(/说明/).fill('防汛放假');
    await form.getByRole('button', { name: '下一步：确认' }).click();
    await page.waitForLoadState('networkidle');
    // Nothing is stored before "yes".
    let days = await page.evaluate(async (y) => (await fetch(`/api/v1/calendar/days?year=${y}`)).json(), YEAR);
    assert.ok(!days.days.some((d) => d.date === day), 'stored before the confirmation');
    assert.match(await page.getByTestId('calendar-confirm').innerText(), /已经算好的期限不变/);
    await page.screenshot({ path: 'test-artifacts/admin-calendar-confirm-1280.png', fullPage: true });
    await page.getByRole('button', { name: '确认增加' }).click();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('flash').innerText(), /已增加/);
    const item = page.locator(`[data-date="${day}"]`);
    assert.equal(await item.getAttribute('data-source'), 'local');
    assert.match(await item.innerText(), /防汛放假/);

    // A Saturday is a day off already: refused, with the reason, nothing stored.
    const sat = firstSaturday();
    await form.getByLabel('日期').fill(sat);
    await form.getByLabel(/^放假/).check();
    await form.getByRole('button', { name: '下一步：确认' }).click();
    await page.getByRole('button', { name: '确认增加' }).click();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('form-error').innerText(), /day off already/);
    days = await page.evaluate(async (y) => (await fetch(`/api/v1/calendar/days?year=${y}`)).json(), YEAR);
    assert.ok(!days.days.some((d) => d.date === sat), 'a refused day was stored');
    await page.screenshot({ path: 'test-artifacts/admin-calendar-refused-1280.png', fullPage: true });

    // Remove, after confirming.
    await page.goto(`${env.base}/admin/calendar?year=${YEAR}`, { waitUntil: 'networkidle' });
    await page.locator(`[data-date="${day}"]`).getByRole('link', { name: /删除/ }).click();
    await page.waitForURL(new RegExp(`/admin/calendar/${day}/remove$`));
    await page.getByRole('button', { name: '确认删除' }).click();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('flash').innerText(), /已删除/);
    assert.equal(await page.locator(`[data-date="${day}"]`).count(), 0);
    // Leave one local day for the screenshots.
    await form.getByLabel('日期').fill(day);
    await form.getByLabel(/^调休上班|^放假/).first().check();
    await form.getByRole('button', { name: '下一步：确认' }).click();
    await page.getByRole('button', { name: '确认增加' }).click();
    await page.waitForLoadState('networkidle');
  });
});

test('a district admin has no calendar page', { timeout: T }, async () => {
  await refusedPage('admin-calendar-denied-360', { width: 360, height: 740 }, async (page) => {
    await logIn(page, districtAdmin, '/admin/users?lang=en&elder=0');
    assert.equal(await page.getByRole('link', { name: 'Working calendar' }).count(), 0);
    const res = await page.goto(`${env.base}/admin/calendar`, { waitUntil: 'networkidle' });
    assert.equal(res.status(), 403);
  });
});

// fileOpen311 files a request with an api_key, as a client application
// would, and returns the status.
async function fileOpen311(key) {
  const body = new URLSearchParams({ api_key: key, service_code: 'C0005', lat: '30.5928', long: '114.2986', description: '水管破裂' });
  const res = await fetch(`${env.base}/open311/v2/requests.json`, { method: 'POST', body });
  return res.status;
}

test('the city admin makes an Open311 key, sees it once, and revokes it', { timeout: T }, async () => {
  await withPage('admin-open311-flow-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, cityAdmin, '/admin?lang=zh-CN&elder=0');
    await page.getByRole('link', { name: 'Open311 密钥' }).click();
    await page.waitForURL(/\/admin\/open311-keys$/);
    await page.getByLabel('客户端名称').fill('12345 市民热线');
    await page.getByRole('button', { name: '生成密钥' }).click();
    await page.waitForLoadState('networkidle');
    const secret = await page.getByTestId('secret').inputValue();
    assert.match(secret, /^o311_/);
    await page.screenshot({ path: 'test-artifacts/admin-open311-secret-1280.png', fullPage: true });
    assert.notEqual(await fileOpen311(secret), 403, 'the new key is refused');
    await page.getByRole('link', { name: '我已记下，继续' }).click();
    await page.waitForURL(/\/admin\/open311-keys$/);
    const list = page.getByTestId('open311-keys');
    const item = list.locator('li', { hasText: '12345 市民热线' });
    assert.ok((await item.innerText()).includes(secret.slice(0, 12)), 'the prefix is not listed');
    assert.ok(!(await list.innerText()).includes(secret), 'the key is shown again');

    await item.getByRole('button', { name: /吊销/ }).click();
    await page.waitForLoadState('networkidle');
    assert.notEqual(await fileOpen311(secret), 403, 'revoked before the confirmation');
    await page.screenshot({ path: 'test-artifacts/admin-open311-revoke-confirm-1280.png', fullPage: true });
    await page.getByRole('button', { name: '确认吊销' }).click();
    await page.waitForURL(/\/admin\/open311-keys\?done=/);
    assert.match(await page.getByTestId('flash').innerText(), /已吊销/);
    assert.match(await list.locator('li', { hasText: '12345 市民热线' }).innerText(), /已吊销/);
    assert.equal(await fileOpen311(secret), 403, 'the revoked key still files');
  });
});

const pages = [
  { name: 'open311-keys', who: cityAdmin, path: () => '/admin/open311-keys' },
  { name: 'calendar', who: cityAdmin, path: () => `/admin/calendar?year=${YEAR}` },
  { name: 'calendar-shipped', who: cityAdmin, path: () => '/admin/calendar?year=2026' },
];

const LONG = 360_000; // per-test limit (see T in harness.mjs)

for (const [width, height] of [[360, 740], [1280, 800]]) {
  for (const lang of ['zh-CN', 'en']) {
    for (const elder of [0, 1]) {
      test(`settings pages at ${width} px, ${lang}${elder ? ', elderly mode' : ''}`, { timeout: LONG }, async () => {
        let loggedIn = '';
        for (const p of pages) {
          const target = `${p.path()}${p.path().includes('?') ? '&' : '?'}lang=${lang}&elder=${elder}`;
          const keepCookies = loggedIn === p.who;
          await withPage(`admin-${p.name}-${width}-${lang}${elder ? '-elder' : ''}`, { width, height }, async (page) => {
            if (keepCookies) await page.goto(`${env.base}${target}`, { waitUntil: 'networkidle' });
            else await logIn(page, p.who, target);
            loggedIn = p.who;
            assert.equal(await page.locator('h1').count(), 1);
            const { scroll, w } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, w: window.innerWidth }));
            assert.ok(scroll <= w, `${p.name} scrolls sideways at ${width} px: ${scroll} > ${w}`);
            const vs = await axeViolations(page);
            assert.equal(vs.length, 0, describeViolations(vs));
          }, { keepCookies });
        }
      });
    }
  }
}

test('a street dispatcher reaches the tokens page from the menu at 360 px', { timeout: T }, async () => {
  await withPage('menu-street-dispatcher-360-zh-CN-elder', { width: 360, height: 740 }, async (page) => {
    await logIn(page, '19900000008', '/?lang=zh-CN&elder=1');
    await openMenu(page); // folded behind the menu button on a phone
    const nav = page.getByRole('navigation', { name: '页面导航' });
    assert.ok(await nav.getByRole('link', { name: '工作台' }).isVisible(), 'no console in the dispatcher menu');
    await nav.getByRole('link', { name: '管理' }).click();
    await page.waitForURL(/\/admin\/users$/); // people of the street, masked: the first tab
    await page.getByRole('link', { name: 'API 令牌' }).click();
    await page.waitForURL(/\/admin\/tokens$/);
    assert.equal(await page.getByTestId('token-form').count(), 1, 'no form for a token');
    const { scroll, w } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, w: window.innerWidth }));
    assert.ok(scroll <= w, `tokens page scrolls sideways: ${scroll} > ${w}`);
    const vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
  });
});
