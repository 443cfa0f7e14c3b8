// Browser tests of the admin pages with the demo accounts: the district
// admin makes a staff account (the temporary password shown once), gives it
// a role and makes an API token (the secret shown once, and it works); the
// auditor reads the security log. Then every admin page at 360 and 1280 px,
// zh-CN and en, normal and elderly mode: screenshots, axe, and no sideways
// scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, logIn } from './harness.mjs';

setup();

const password = 'civicgrid-demo';
const districtAdmin = '19900000010'; // district 420102
const auditor = '19900000012'; // the city
const cityAdmin = '19900000011';
const GRID = '420102001001001';
const COMMUNITY = '420102001001';

// Shared between the tests of this file, which run in order.
const state = { userPage: '' };

async function noSidewaysScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what} scrolls sideways: ${scroll} > ${width} px`);
}

test('a district admin makes a staff account, gives a role and makes a token', { timeout: T }, async () => {
  await withPage('admin-flow-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, districtAdmin, '/?lang=zh-CN&elder=0');
    // The menu has an Admin entry and the console.
    const nav = page.getByRole('navigation', { name: '页面导航' });
    assert.ok(await nav.getByRole('link', { name: '工作台' }).isVisible(), 'no console in the menu');
    await nav.getByRole('link', { name: '管理' }).click();
    await page.waitForURL(/\/admin\/users$/);
    assert.ok((await page.locator('[data-user]').count()) > 0, 'no users listed');

    await page.getByRole('link', { name: '新建工作人员账号' }).click();
    await page.getByLabel('姓名').fill('测试网格员');
    await page.getByLabel('手机号').fill('13700009876');
    await page.getByLabel('角色', { exact: true }).selectOption('grid_worker');
    await page.getByLabel('区域', { exact: true }).fill(GRID);
    await page.getByRole('button', { name: '创建账号' }).click();
    await page.waitForLoadState('networkidle');
    const temporary = await page.getByTestId('secret').inputValue();
    assert.ok(temporary.length >= 8, `temporary password ${temporary}`);
    assert.match(await page.locator('main').innerText(), /仅此一次显示/);
    await page.screenshot({ path: 'test-artifacts/admin-temporary-password-1280.png', fullPage: true });
    await page.getByRole('link', { name: '我已记下，继续' }).click();
    await page.waitForURL(/\/admin\/users\/\d+$/);
    state.userPage = new URL(page.url()).pathname;
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(temporary), 'the password is shown again');

    // Give the account a second role in the admin's district.
    const grantForm = page.getByTestId('grant-form');
    await grantForm.getByLabel('角色', { exact: true }).selectOption('community_staff');
    await grantForm.getByLabel('区域', { exact: true }).fill(COMMUNITY);
    await grantForm.getByRole('button', { name: '授予' }).click();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('flash').innerText(), /角色已授予/);
    assert.equal(await page.getByTestId('grants').locator('li').count(), 2);

    // A role in another district is refused, with the reason.
    await grantForm.getByLabel('角色', { exact: true }).selectOption('community_staff');
    await grantForm.getByLabel('区域', { exact: true }).fill('420103001001');
    await grantForm.getByRole('button', { name: '授予' }).click();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('flash-error').innerText(), /无权/);
    assert.equal(await page.getByTestId('grants').locator('li').count(), 2);

    // A token from the admin's own role: the secret once, and it works.
    await page.getByRole('link', { name: 'API 令牌' }).click();
    await page.waitForURL(/\/admin\/tokens$/);
    await page.getByLabel('用途').fill('区热线系统');
    await page.getByRole('button', { name: '生成令牌' }).click();
    await page.waitForLoadState('networkidle');
    const secret = await page.getByTestId('secret').inputValue();
    assert.match(secret, /^cgt_/);
    await page.screenshot({ path: 'test-artifacts/admin-token-secret-1280.png', fullPage: true });
    const me = await page.evaluate(async (s) => (await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${s}` }, credentials: 'omit' })).json(), secret);
    assert.equal(me.via, 'token');
    await page.getByRole('link', { name: '我已记下，继续' }).click();
    await page.waitForURL(/\/admin\/tokens$/);
    const list = await page.getByTestId('tokens').innerText();
    assert.match(list, /区热线系统/);
    assert.ok(!list.includes(secret), 'the secret is shown again');
  });
});

test('the auditor reads the security log', { timeout: T }, async () => {
  await withPage('admin-audit-flow-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, auditor, '/?lang=zh-CN&elder=0');
    const nav = page.getByRole('navigation', { name: '页面导航' });
    assert.equal(await nav.getByRole('link', { name: '管理' }).count(), 0, 'an auditor offered account admin');
    await nav.getByRole('link', { name: '审计日志' }).click();
    await page.waitForURL(/\/admin\/audit$/);
    const table = page.getByTestId('events');
    assert.ok((await table.locator('tr[data-kind="role.granted"]').count()) >= 1, 'the grant is not in the log');
    assert.ok((await table.locator('tr[data-kind="role.denied"]').count()) >= 1, 'the refusal is not in the log');
    await page.getByLabel('事件', { exact: true }).selectOption('token.created');
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForLoadState('networkidle');
    assert.equal(await table.locator('tr[data-kind]:not([data-kind="token.created"])').count(), 0);
    const csv = await page.getByTestId('audit-csv').getAttribute('href');
    assert.match(csv, /^\/api\/v1\/audit\/security\.csv\?kind=token\.created$/);
    const res = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, text: await r.text() }; }, csv);
    assert.equal(res.status, 200);
    assert.match(res.text, /token\.created/);
  });
});

test('the city admin edits a category deadline', { timeout: T }, async () => {
  await withPage('admin-category-flow-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, cityAdmin, '/?lang=zh-CN&elder=0');
    const nav = page.getByRole('navigation', { name: '页面导航' });
    assert.ok(await nav.getByRole('link', { name: '工作台' }).isVisible(), 'no console in the city admin menu');
    await nav.getByRole('link', { name: '管理' }).click();
    await page.getByRole('link', { name: '案件类别' }).click();
    await page.waitForURL(/\/admin\/categories$/);
    const first = page.getByTestId('categories').locator('li').first();
    const code = await first.getAttribute('data-category');
    await first.getByRole('link').click();
    await page.waitForURL(new RegExp(`/admin/categories/${code}$`));
    await page.getByLabel('响应时限').fill('3wh');
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL(/\/admin\/categories\?done=/);
    assert.match(await page.getByTestId('flash').innerText(), /类别已保存/);
    assert.match(await page.locator(`[data-category="${code}"]`).innerText(), /3 个工作小时内响应/);
    // The case service stored it (a refused form is checked in the Go tests).
    const cats = await page.evaluate(async () => (await fetch('/api/v1/categories')).json());
    assert.equal(cats.categories.find((c) => c.code === code).respond_within, '3wh');
  });
});

// Every admin page, as the account that uses it.
const pages = [
  { name: 'users', who: districtAdmin, path: () => `/admin/users?within=${COMMUNITY}` },
  { name: 'user', who: districtAdmin, path: () => state.userPage },
  { name: 'new-user', who: districtAdmin, path: () => '/admin/users/new' },
  { name: 'tokens', who: districtAdmin, path: () => '/admin/tokens' },
  { name: 'webhooks', who: districtAdmin, path: () => '/admin/webhooks' },
  { name: 'audit', who: auditor, path: () => '/admin/audit' },
  { name: 'categories', who: cityAdmin, path: () => '/admin/categories' },
  { name: 'category', who: cityAdmin, path: () => '/admin/categories/C0005' },
  { name: 'building-roles', who: cityAdmin, path: () => '/admin/building-roles' },
];

// Many pages per test on a shared 2-core machine: a longer limit.
const LONG = 360_000; // per-test limit (see T in harness.mjs)

for (const [width, height] of [[360, 740], [1280, 800]]) {
  for (const lang of ['zh-CN', 'en']) {
    for (const elder of [0, 1]) {
      test(`admin pages at ${width} px, ${lang}${elder ? ', elderly mode' : ''}`, { timeout: LONG }, async () => {
        let loggedIn = '';
        for (const p of pages) {
          assert.ok(p.path(), 'the flow test made no account');
          const target = `${p.path()}${p.path().includes('?') ? '&' : '?'}lang=${lang}&elder=${elder}`;
          // Each account logs in once; its next pages keep the session.
          const keepCookies = loggedIn === p.who;
          await withPage(`admin-${p.name}-${width}-${lang}${elder ? '-elder' : ''}`, { width, height }, async (page) => {
            if (keepCookies) await page.goto(`${env.base}${target}`, { waitUntil: 'networkidle' });
            else await logIn(page, p.who, target);
            loggedIn = p.who;
            assert.equal(await page.locator('h1').count(), 1);
            await noSidewaysScroll(page, `${p.name} at ${width} px`);
            const vs = await axeViolations(page);
            assert.equal(vs.length, 0, describeViolations(vs));
          }, { keepCookies });
        }
      });
    }
  }
}

test('the admin pages work without JavaScript', { timeout: T }, async () => {
  const page = await env.context.newPage();
  try {
    await env.context.clearCookies();
    await page.route('**/*.js', (route) => route.abort());
    await logIn(page, districtAdmin, '/admin/tokens?lang=en&elder=0');
    await page.getByLabel('What is it for?').fill('no-script integration');
    await page.getByRole('button', { name: 'Make token' }).click();
    await page.waitForLoadState('load');
    assert.match(await page.getByTestId('secret').inputValue(), /^cgt_/);
  } finally {
    await page.close();
  }
});
