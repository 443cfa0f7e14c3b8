// Sign-up and password reset with a code texted to the phone: a new
// resident signs up and logs in; a resident resets a forgotten password and
// logs in with the new one. Both with JavaScript on and off (plain forms,
// errors rendered by the server), at 360 and 1280 px, in zh-CN and en, one
// in elderly mode, axe-clean and without sideways scrolling. The demo's
// development SMS sender writes each code to the server's log, where a
// person running `make demo` finds it too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { env, setup, withPage, axeViolations, describeViolations, T, openMenu, serverLogged } from './harness.mjs';

// Eight flows log in, ask for codes and sign up from one address within a
// minute: more than the default bucket of 20.
setup({ args: ['--login-attempts-per-minute', '200'] });

let noJSBrowser;
after(async () => { if (noJSBrowser) await noJSBrowser.close(); });

// noJSPage opens a page in a context with JavaScript disabled.
async function noJSPage(viewport, locale) {
  noJSBrowser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  const ctx = await noJSBrowser.newContext({ javaScriptEnabled: false, viewport, locale, timezoneId: 'Asia/Shanghai' });
  return { page: await ctx.newPage(), close: () => ctx.close() };
}

// codeFor waits for the code texted to phone to appear in the server's log
// (the development sender logs the phone masked, 138****5678, so the test's
// phones differ in their first three or last four digits).
async function codeFor(phone, seen = new Set()) {
  const masked = `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  return serverLogged((log) => {
    const lines = log.split('\n').filter((l) => l.includes('DEVELOPMENT SMS SENDER') && l.includes(masked));
    const m = lines.length && lines[lines.length - 1].match(/验证码是(\d{6})/);
    return m && !seen.has(m[1]) ? m[1] : null;
  }, `the code for ${phone}`);
}

async function noSidewaysScroll(page) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(over <= 0, `the page scrolls sideways by ${over} px`);
}

async function axeClean(page) {
  const vs = await axeViolations(page);
  assert.equal(vs.length, 0, describeViolations(vs));
}

const L = {
  'zh-CN': {
    signupLink: '居民注册', forgotLink: '忘记密码', send: '发送验证码', phone: '手机号', code: '短信验证码', name: '姓名',
    password: '设置密码', newPassword: '新密码', building: /所住楼栋编码/, signup: '注册并登录', reset: '设置新密码',
    loginPassword: /^密码$/, login: '登录', logout: '退出登录', wrongCode: /验证码不正确或已失效/, sent: /验证码已发送至/,
    demo: /终端日志/, done: /密码已重设/, resident: /居民/,
  },
  en: {
    signupLink: 'Sign up as a resident', forgotLink: 'Forgotten password', send: 'Send code', phone: 'Mobile number',
    code: 'Code from the text message', name: 'Name', password: 'Choose a password', newPassword: 'New password',
    building: /Code of the building/, signup: 'Sign up and log in', reset: 'Set the new password', loginPassword: /^Password$/,
    login: 'Log in', logout: 'Log out', wrongCode: /code is wrong or no longer valid/, sent: /A code was sent to/,
    demo: /terminal running civicgrid/, done: /password was reset/, resident: /Resident/,
  },
};

async function logIn(page, w, phone, password) {
  await page.getByLabel(w.phone, { exact: true }).fill(phone);
  await page.getByLabel(w.loginPassword).fill(password);
  await page.getByRole('button', { name: w.login, exact: true }).click();
  await page.waitForLoadState('load');
}

async function signUp(page, { lang, width, phone, building, js = true }) {
  const w = L[lang];
  await page.goto(`${env.base}/login?lang=${lang}`, { waitUntil: 'load' });
  await page.getByRole('link', { name: w.signupLink }).click();
  await page.waitForURL(/\/signup/);
  assert.match(await page.getByTestId('dev-sms').innerText(), w.demo, 'the demo does not say where the code is');
  await page.locator('#code-phone').fill(phone);
  await page.getByRole('button', { name: w.send }).click();
  await page.waitForLoadState('load');
  assert.match(await page.getByRole('status').innerText(), w.sent);
  assert.equal(await page.locator('#acct-phone').inputValue(), phone, 'the phone was not kept for step 2');
  const code = await codeFor(phone);
  // A wrong code first: said in the page's language, the form kept.
  await page.getByLabel(w.code).fill(code === '000000' ? '111111' : '000000');
  await page.getByLabel(w.name, { exact: true }).fill('新居民');
  await page.getByLabel(w.password).fill('江边的风筝-2027');
  if (building) await page.getByLabel(w.building).fill(building);
  await page.getByRole('button', { name: w.signup }).click();
  await page.waitForLoadState('load');
  assert.match(await page.getByRole('alert').innerText(), w.wrongCode);
  assert.equal(await page.locator('#acct-code').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#acct-phone').inputValue(), phone);
  assert.equal(await page.locator('#acct-name').inputValue(), '新居民');
  // axe and the width are measured with scripts: with JavaScript on (the
  // page is the same server-rendered HTML either way).
  if (js) await axeClean(page);
  if (js && width <= 360) await noSidewaysScroll(page);
  await page.screenshot({ path: path.join('test-artifacts', `signup-error-${width}-${lang}${js ? '' : '-nojs'}.png`), fullPage: true });
  // Then the right one: signed up and logged in.
  await page.getByLabel(w.code).fill(code);
  await page.getByLabel(w.password).fill('江边的风筝-2027');
  await page.getByRole('button', { name: w.signup }).click();
  await page.waitForLoadState('load');
  await openMenu(page); // folded behind the menu button on a phone
  const who = await page.locator('.account-who').innerText();
  assert.match(who, /新\*+/, 'not logged in after signing up');
  if (building) assert.match(who, w.resident);
  // Log out and in again with the new password.
  await page.getByRole('button', { name: w.logout }).click();
  await page.waitForLoadState('load');
  await page.goto(`${env.base}/login`, { waitUntil: 'load' });
  await logIn(page, w, phone, '江边的风筝-2027');
  await openMenu(page);
  assert.match(await page.locator('.account-who').innerText(), /新\*+/, 'the new account does not log in');
}

async function resetPassword(page, { lang, width, phone, js = true }) {
  const w = L[lang];
  await page.goto(`${env.base}/login?lang=${lang}`, { waitUntil: 'load' });
  await page.getByRole('link', { name: w.forgotLink }).click();
  await page.waitForURL(/\/reset/);
  await page.locator('#code-phone').fill(phone);
  await page.getByRole('button', { name: w.send }).click();
  await page.waitForLoadState('load');
  assert.match(await page.getByRole('status').innerText(), w.sent);
  if (js) await axeClean(page);
  if (js && width <= 360) await noSidewaysScroll(page);
  await page.screenshot({ path: path.join('test-artifacts', `reset-code-sent-${width}-${lang}${js ? '' : '-nojs'}.png`), fullPage: true });
  await page.getByLabel(w.code).fill(await codeFor(phone));
  await page.getByLabel(w.newPassword).fill('楼下的桂花树-2026');
  await page.getByRole('button', { name: w.reset }).click();
  await page.waitForURL(/\/login\?reset=1/);
  assert.match(await page.getByRole('status').innerText(), w.done);
  if (js) await axeClean(page);
  await logIn(page, w, phone, 'civicgrid-demo');
  assert.equal(await page.locator('.account-who').count(), 0, 'the old password still works');
  await logIn(page, w, phone, '楼下的桂花树-2026');
  await openMenu(page);
  assert.match(await page.locator('.account-who').innerText(), /演\*+/, 'the new password does not log in');
}

async function firstBuilding() {
  const res = await (await fetch(`${env.base}/api/v1/areas?level=building&limit=1`)).json();
  return (res.areas || res)[0].code;
}

test('a new resident signs up without JavaScript and logs in (360 px, zh-CN, elderly mode)', { timeout: T }, async () => {
  const { page, close } = await noJSPage({ width: 360, height: 740 }, 'zh-CN');
  try {
    await page.goto(`${env.base}/signup?lang=zh-CN&elder=1`, { waitUntil: 'load' });
    assert.equal(await page.locator('html').getAttribute('class'), 'elder');
    await signUp(page, { lang: 'zh-CN', width: 360, phone: '13712340001', building: await firstBuilding(), js: false });
    await page.screenshot({ path: 'test-artifacts/signup-done-360-zh-CN-elder.png', fullPage: true });
  } finally {
    await close();
  }
});

test('a new resident signs up and logs in (1280 px, en)', { timeout: T }, async () => {
  await withPage('signup-done-1280-en', { width: 1280, height: 800 }, async (page) => {
    await signUp(page, { lang: 'en', width: 1280, phone: '13712340002' });
  });
});

test('a resident resets a forgotten password (360 px, en)', { timeout: T }, async () => {
  await withPage('reset-done-360-en', { width: 360, height: 740 }, async (page) => {
    await resetPassword(page, { lang: 'en', width: 360, phone: '19900000001' });
  });
});

test('a resident resets a forgotten password without JavaScript (1280 px, zh-CN)', { timeout: T }, async () => {
  const { page, close } = await noJSPage({ width: 1280, height: 800 }, 'zh-CN');
  try {
    await resetPassword(page, { lang: 'zh-CN', width: 1280, phone: '19900000003', js: false });
    await page.screenshot({ path: 'test-artifacts/reset-done-1280-zh-CN-nojs.png', fullPage: true });
  } finally {
    await close();
  }
});

for (const lang of ['zh-CN', 'en']) {
  for (const elder of [0, 1]) {
    test(`the sign-up and reset pages are axe-clean and fit 360 px (${lang}, elder ${elder})`, { timeout: T }, async () => {
      await withPage(`signup-page-360-${lang}-elder${elder}`, { width: 360, height: 740 }, async (page) => {
        for (const p of ['reset', 'signup']) {
          await page.goto(`${env.base}/${p}?lang=${lang}&elder=${elder}`, { waitUntil: 'networkidle' });
          await axeClean(page);
          await noSidewaysScroll(page);
        }
      });
    });
  }
}
