// The volunteer service's indicators and matching by needs in the pages:
// staff see the volunteer indicators on the dashboard under the case
// indicators; a resident asks for help naming what the volunteer should
// bring; the volunteer's open list names each request's needs and how they
// meet them, and the registration takes a voluntary gender — at 360 px in
// elderly mode (zh-CN) and at 1280 px (en), without sideways scrolling or
// serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const volunteer = '19900000003';
const staff = '19900000006';
const phone = { width: 360, height: 740 };
const desk = { width: 1280, height: 900 };
const state = { asked: 0 };
const artifactsDir = path.join(import.meta.dirname, '..', '..', 'test-artifacts');

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('staff see the volunteer indicators on the dashboard (zh-CN, elderly, 360 px)', { timeout: T }, async () => {
  await withPage('volunteer-indicators-dashboard-elder-360', phone, async (page) => {
    await logInAs(page, staff, '/dashboard');
    await page.goto(`${env.base}/dashboard?elder=1&lang=zh-CN`);
    const section = page.locator('[data-testid="dash-volunteers"]');
    await section.waitFor();
    const text = await section.textContent();
    for (const want of ['志愿服务', '求助需求', '按时答复率', '按时接单率', '完成服务', '服务时长（小时）', '服务满意率', '活跃志愿者']) {
      assert.ok(text.includes(want), `dashboard volunteer cards without ${want}: ${text}`);
    }
    await noSidewaysScroll(page, 'dashboard, elderly mode');
    await noSeriousViolations(page, 'dashboard');
  });
});

test('the same in English at 1280 px, with a formula open', { timeout: T }, async () => {
  await withPage('volunteer-indicators-dashboard-en-1280', desk, async (page) => {
    await logInAs(page, staff, '/dashboard');
    await page.goto(`${env.base}/dashboard?lang=en`);
    const section = page.locator('[data-testid="dash-volunteers"]');
    await section.getByText('Answered in time', { exact: true }).waitFor();
    await section.locator('details.formula').first().locator('summary').click();
    assert.match(await section.textContent(), /within 24 hours of being asked/);
    await noSidewaysScroll(page, 'dashboard, English');
  });
});

test('a resident asks for help naming what the volunteer should bring (elderly, 360 px)', { timeout: T }, async () => {
  await withPage('volunteer-needs-ask-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/help');
    await page.goto(`${env.base}/help?elder=1&lang=zh-CN`);
    await page.getByLabel('助餐').check();
    await page.getByText('对志愿者有什么要求？').click();
    await page.locator('[data-testid="ask-needs"]').getByLabel('女性志愿者').check();
    await noSidewaysScroll(page, 'ask with needs, elderly mode');
    await noSeriousViolations(page, 'ask with needs');
    await page.locator('[data-testid="ask-form"] fieldset').first().screenshot({ path: path.join(artifactsDir, 'volunteer-needs-ask-form-elder-360.png') });
    await Promise.all([page.waitForURL(/done=asked/), page.getByRole('button', { name: '提交求助' }).click()]);
    const card = page.locator('[data-testid="my-requests"] li').first();
    assert.match(await card.textContent(), /需要：烹饪、女性志愿者/);
    state.asked = Number(await card.getAttribute('data-id'));
  });
});

test('the needs on the ask form in English at 1280 px', { timeout: T }, async () => {
  await withPage('volunteer-needs-ask-en-1280', desk, async (page) => {
    await logInAs(page, resident, '/help');
    await page.goto(`${env.base}/help?lang=en`);
    await page.getByText('What should the volunteer bring?').click();
    await page.locator('[data-testid="ask-needs"]').getByLabel('Driving').check();
    await noSidewaysScroll(page, 'ask with needs, English');
    await page.locator('[data-testid="ask-form"]').screenshot({ path: path.join(artifactsDir, 'volunteer-needs-ask-form-en-1280.png') });
  });
});

test('the volunteer sees the needs and their fit, and gives a gender voluntarily (elderly, 360 px)', { timeout: T }, async () => {
  await withPage('volunteer-needs-open-elder-360', phone, async (page) => {
    await logInAs(page, volunteer, '/volunteer');
    await page.goto(`${env.base}/volunteer?elder=1&lang=zh-CN`);
    const open = page.locator('[data-testid="open-requests"]');
    await open.waitFor();
    const text = await open.textContent();
    assert.match(text, /需要：陪诊、驾驶、女性志愿者/);
    assert.match(text, /您符合 2\/3 项要求，缺：女性志愿者/);
    assert.ok(await page.locator('#reg-gender').count() === 1, 'the gender choice on the registration');
    await noSidewaysScroll(page, 'open list with fit, elderly mode');
    await noSeriousViolations(page, 'open list with fit');
    await page.locator('[data-testid="open-requests"]').screenshot({ path: path.join(artifactsDir, 'volunteer-needs-open-list-elder-360.png') });
    const reg = page.locator('details', { has: page.locator('#reg-gender') }).first();
    await reg.evaluate((d) => { d.open = true; });
    await page.locator('#reg-gender').selectOption('female');
    await noSidewaysScroll(page, 'registration with the gender, elderly mode');
    await reg.screenshot({ path: path.join(artifactsDir, 'volunteer-needs-registration-elder-360.png') });
  });
});

test('the open list in English at 1280 px', { timeout: T }, async () => {
  await withPage('volunteer-needs-open-en-1280', desk, async (page) => {
    await logInAs(page, volunteer, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=en`);
    const text = await page.locator('[data-testid="open-requests"]').textContent();
    assert.match(text, /Needs: Clinic escort, Driving, A woman volunteer/);
    assert.match(text, /You meet 2 of 3 needs; missing: A woman volunteer/);
    await page.locator('details', { has: page.locator('#reg-gender') }).first().evaluate((d) => { d.open = true; });
    await noSidewaysScroll(page, 'open list, English');
    await page.locator('[data-testid="open-requests"]').screenshot({ path: path.join(artifactsDir, 'volunteer-needs-open-list-en-1280.png') });
  });
});

test('a request opened meanwhile shows on the volunteer page live (elderly, 360 px)', { timeout: T }, async () => {
  assert.ok(state.asked, 'the request asked above');
  await withPage('volunteer-open-live-elder-360', phone, async (page) => {
    await logInAs(page, volunteer, '/volunteer');
    await page.goto(`${env.base}/volunteer?elder=1&lang=zh-CN`);
    const live = page.locator('[data-testid="open-live"]');
    assert.equal(await live.isVisible(), false, 'no notice before anything opens');
    const list = page.locator('[data-testid="open-requests"]');
    assert.equal(await list.locator(`li[data-id="${state.asked}"]`).count(), 0);
    const api = await apiJSON(staff);
    await api('POST', `/api/v1/volunteer/requests/${state.asked}/verify`, { decision: 'accept' });
    await live.waitFor({ state: 'visible' });
    assert.match(await live.textContent(), /有新的求助可以接单/);
    await noSidewaysScroll(page, 'the live notice, elderly mode');
    await live.screenshot({ path: path.join(artifactsDir, 'volunteer-open-live-elder-360-notice.png') });
    await Promise.all([page.waitForLoadState('load'), live.getByRole('link', { name: '刷新列表' }).click()]);
    await list.locator(`li[data-id="${state.asked}"]`).waitFor();
  });
});
