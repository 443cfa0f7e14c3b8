// Browser push on the inbox page: where the browser has service workers
// and the Push API the page offers "receive notifications on this device";
// where it has not, the switch stays hidden and the page works as before.
// Headless chromium reaches no push service (and these tests send nothing
// beyond loopback: notification permission is denied before the switch is
// touched), so the subscription itself is tested in Go against a loopback
// push service; here: the switch, the service worker, a refusal told in
// the reader's language, and the page at 360 and 1280 px, zh-CN and en,
// normal and elderly mode, without sideways scrolling and axe-clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T } from './harness.mjs';

setup();

const password = 'civicgrid-demo';
const resident = '19900000001';

async function logIn(page, next) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#login-phone').fill(resident);
  await page.locator('#login-password').fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/inbox'), page.locator('form.login button[type="submit"]').click()]);
}

async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the window`);
}

test('the switch is offered where push works, and the service worker takes the whole site', { timeout: T }, async () => {
  await withPage('push-switch-360', { width: 360, height: 740 }, async (page) => {
    await logIn(page, '/inbox?lang=zh-CN&elder=0');
    const sw = page.locator('#push-switch');
    await sw.waitFor({ state: 'visible' });
    assert.equal(await sw.getAttribute('role'), 'switch');
    assert.ok(!(await sw.isChecked()), 'off until turned on in this browser');
    assert.match(await page.locator('#push-device').innerText(), /在本设备接收通知/);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${env.base}/`);
    const res = await fetch(`${env.base}/sw.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /javascript/);
    assert.match(await res.text(), /notificationclick/);
  });
});

test('notifications refused by the browser: told in the reader\'s language, the switch goes back off, nothing stored', { timeout: T }, async () => {
  for (const [lang, words] of [['zh-CN', /没有允许本网站发送通知/], ['en', /has not allowed this site/]]) {
    await withPage(`push-denied-${lang}-360`, { width: 360, height: 740 }, async (page) => {
      await logIn(page, `/inbox?lang=${lang}&elder=0`);
      // Denied before the switch is touched: no subscription is ever
      // asked of a push service off this machine.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: env.base });
      await page.locator('#push-switch').click(); // it may be off again before a check could see it on
      await page.locator('#push-status').filter({ hasText: words }).waitFor();
      assert.ok(!(await page.locator('#push-switch').isChecked()));
      assert.ok(await page.locator('#push-switch').isEnabled());
      const { subscriptions } = await page.evaluate(async () => (await fetch('/api/v1/notifications/push')).json());
      assert.deepEqual(subscriptions, []);
    });
  }
});

test('a browser without the Push API: no switch, the settings still work', { timeout: T }, async () => {
  await withPage('push-unsupported-360', { width: 360, height: 740 }, async (page) => {
    await page.addInitScript(() => { delete window.PushManager; });
    await logIn(page, '/inbox?lang=zh-CN&elder=0');
    await page.waitForLoadState('load');
    assert.ok(!(await page.locator('#push-device').isVisible()), 'no switch without the Push API');
    await Promise.all([page.waitForURL(/done=settings/), page.locator('button', { hasText: '保存设置' }).click()]);
    await noSidewaysScroll(page, 'the inbox without push');
  });
});

for (const lang of ['zh-CN', 'en']) {
  for (const elder of [false, true]) {
    test(`the inbox with the switch at 360 and 1280 px (${lang}${elder ? ', elderly mode' : ''}): no sideways scroll, axe-clean`, { timeout: T }, async () => {
      for (const width of [360, 1280]) {
        const name = `push-${lang}${elder ? '-elder' : ''}-${width}`;
        await withPage(name, { width, height: 800 }, async (page) => {
          await logIn(page, `/inbox?lang=${lang}&elder=${elder ? 1 : 0}`);
          await page.locator('#push-switch').waitFor({ state: 'visible' });
          await page.locator('#push-device').scrollIntoViewIfNeeded();
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          await noSidewaysScroll(page, name);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      }
    });
  }
}
