// Browser tests of logging in and out with the demo accounts: the form works
// without JavaScript, a wrong password says so, the header shows who is
// logged in, and the pages pass axe in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, openMenu } from './harness.mjs';

setup();

const gridWorker = { phone: '19900000004', password: 'civicgrid-demo' };

async function fillLogin(page, { phone, password }) {
  await page.getByLabel(/手机号|Mobile number/).fill(phone);
  await page.getByLabel(/^密码$|^Password$/).fill(password);
  await page.getByRole('button', { name: /^登录$|^Log in$/ }).click();
  await page.waitForLoadState('networkidle');
}

for (const [width, height] of [[360, 740], [1280, 800]]) {
  test(`a grid worker logs in and out (${width} px)`, { timeout: T }, async () => {
    await withPage(`login-${width}`, { width, height }, async (page) => {
      await page.goto(`${env.base}/grids/420102001001001`, { waitUntil: 'networkidle' });
      // Anonymous: the header offers a login that comes back here (in the
      // menu on a phone).
      await openMenu(page);
      await page.getByRole('link', { name: '登录' }).click();
      await page.waitForURL(/\/login\?next=/);
      await fillLogin(page, gridWorker);
      assert.match(page.url(), /\/grids\/420102001001001$/, 'login did not return to the page');
      await openMenu(page);
      const who = await page.locator('.account-who').innerText();
      assert.match(who, /演\*+/, 'masked name missing');
      assert.match(who, /网格员/, 'role missing');
      assert.doesNotMatch(who, /19900000004|演示网格员/, 'unmasked identity in the header');
      // The API knows the session too.
      const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
      assert.equal(me.user.phone, '19900000004');
      await page.screenshot({ path: `test-artifacts/logged-in-${width}.png`, fullPage: true });
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.waitForLoadState('networkidle');
      await openMenu(page);
      assert.ok(await page.getByRole('link', { name: '登录' }).isVisible(), 'no login link after logout');
      const after = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
      assert.equal(after, 401);
    });
  });
}

test('a wrong password is explained and logs nobody in', { timeout: T }, async () => {
  await withPage('login-wrong', { width: 360, height: 740 }, async (page) => {
    await page.goto(`${env.base}/login`, { waitUntil: 'networkidle' });
    await fillLogin(page, { phone: gridWorker.phone, password: 'not-the-password' });
    const alert = page.getByRole('alert');
    assert.match(await alert.innerText(), /手机号或密码不正确/);
    assert.equal(await page.locator('#login-password').getAttribute('aria-invalid'), 'true');
    await openMenu(page);
    assert.ok(await page.getByRole('link', { name: '登录' }).isVisible());
  });
});

test('the login form works without JavaScript', { timeout: T }, async () => {
  const page = await env.context.newPage();
  try {
    await env.context.clearCookies();
    await page.route('**/*.js', (route) => route.abort());
    await page.goto(`${env.base}/login?lang=en`, { waitUntil: 'load' });
    await fillLogin(page, { phone: '19900000007', password: 'civicgrid-demo' });
    assert.match(await page.locator('.account-who').innerText(), /Community secretary/);
  } finally {
    await page.close();
  }
});

for (const lang of ['zh-CN', 'en']) {
  test(`no serious accessibility violations on the login page (${lang})`, { timeout: T }, async () => {
    await withPage(`axe-login-${lang}`, { width: 360, height: 740 }, async (page) => {
      await page.goto(`${env.base}/login?lang=${lang}&error=unauthorized&message=wrong+phone+number+or+password`, { waitUntil: 'networkidle' });
      let vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
      await page.goto(`${env.base}/login?lang=${lang}`, { waitUntil: 'networkidle' });
      await fillLogin(page, gridWorker);
      vs = await axeViolations(page); // the header with an account
      assert.equal(vs.length, 0, describeViolations(vs));
    });
  });
}

// After a wrong password the phone stays, the page tells the attempts left
// for this number from this device (counted the same whether or not the
// number has an account), and once locked, until when — in the page's
// language and Beijing time, never in the server's English.
test('a wrong password keeps the phone and tells the attempts left (360 px, zh-CN, no JavaScript)', { timeout: T }, async () => {
  await withPage('login-attempts-360-zh-CN', { width: 360, height: 740 }, async (page) => {
    await page.route('**/*.js', (route) => route.abort());
    await page.goto(`${env.base}/login?lang=zh-CN&elder=0`, { waitUntil: 'load' });
    await fillLogin(page, { phone: '19900000005', password: 'not-the-password' });
    const alert = await page.getByRole('alert').innerText();
    assert.match(alert, /手机号或密码不正确/);
    assert.match(alert, /还可再试 4 次；连续输错 5 次将锁定 15 分钟/);
    assert.doesNotMatch(alert, /[A-Za-z]{3,}/, 'English under Chinese');
    assert.equal(await page.locator('#login-phone').inputValue(), '19900000005', 'the phone was cleared');
    // Only the password needs typing again.
    await page.getByLabel(/^密码$/).fill('civicgrid-demo');
    await page.getByRole('button', { name: /^登录$/ }).click();
    await page.waitForLoadState('load');
    assert.match(await page.locator('.account-who').textContent(), /两长四员/); // in the folded menu: no script opens it
  });
});

test('a locked number shows when it unlocks, in the page language and Beijing time (1280 px, en and zh-CN, elderly mode)', { timeout: T }, async () => {
  await withPage('login-locked-1280-elder', { width: 1280, height: 800 }, async (page) => {
    const phone = '13700000000'; // no account: the page is the same as for one
    await page.goto(`${env.base}/login?lang=en&elder=1`, { waitUntil: 'networkidle' });
    const started = Date.now();
    for (let left = 4; left >= 1; left--) {
      await fillLogin(page, { phone, password: 'not-the-password' });
      assert.match(await page.getByTestId('login-detail').innerText(), new RegExp(`^${left} more tries for this number`));
    }
    await fillLogin(page, { phone, password: 'not-the-password' });
    const detail = await page.getByTestId('login-detail').innerText();
    const m = detail.match(/no login until (\d\d:\d\d) on (\d+ \w{3} \d{4}) \(Beijing time, UTC\+8\)/);
    assert.ok(m, detail);
    const fmt = (t) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);
    // Every minute the lock may have begun in, however long the tries took.
    const expect = [];
    for (let t = started; t < Date.now() + 60e3; t += 60e3) expect.push(fmt(Math.min(t, Date.now()) + 15 * 60e3));
    assert.ok(expect.includes(m[1]), `unlock time ${m[1]}, want one of ${expect}`);
    assert.equal(await page.locator('#login-phone').inputValue(), phone);
    let vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
    await page.screenshot({ path: 'test-artifacts/login-locked-1280-en-elder.png', fullPage: true });
    // The same in Chinese.
    await page.goto(`${env.base}/login?lang=zh-CN`, { waitUntil: 'networkidle' });
    await fillLogin(page, { phone, password: 'not-the-password' });
    const zh = await page.getByRole('alert').innerText();
    assert.match(zh, new RegExp(`已连续输错 5 次，\\d{4}年\\d+月\\d+日 ${m[1]}（北京时间）前无法登录`));
    assert.doesNotMatch(zh, /[A-Za-z]{3,}/, 'English under Chinese');
    vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
    await page.screenshot({ path: 'test-artifacts/login-locked-1280-zh-CN-elder.png', fullPage: true });
  });
});
