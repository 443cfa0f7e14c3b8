// Co-governance meetings (议事会) in the pages: the secretary schedules a
// meeting on a phone from a proposal on the agenda and sees the door code
// and the roll; a resident signs in with the code in elderly mode; the
// secretary records the decision and publishes the minutes (in English);
// the proposal's page shows the meeting and its decision — at 360 px
// without sideways scrolling and without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const state = { proposal: 0, meeting: 0, code: '' };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('the secretary schedules a meeting on a phone', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  const community = (await sec('GET', '/api/v1/me')).user.grants[0].area_code;
  const { proposal } = await (await apiJSON(resident))('POST', '/api/v1/proposals', { area_code: community, title: '楼道加装扶手（议事会测试）' });
  await sec('POST', `/api/v1/proposals/${proposal.id}/moderate`, { decision: 'accept' });
  state.proposal = proposal.id;
  await withPage('cogov-meeting-schedule-360', phone, async (page) => {
    await logInAs(page, secretary, '/proposals');
    await page.goto(`${env.base}/proposals?lang=zh-CN`);
    const form = page.locator('[data-testid="schedule"]');
    await form.getByLabel('会议名称').fill('十二月居民议事会');
    await form.getByLabel('地点').fill('社区活动室');
    await form.getByLabel('开始时间').fill(new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 11) + '19:00'); // a week ahead
    await form.getByLabel('楼道加装扶手（议事会测试）').check();
    await Promise.all([page.waitForURL(/done=scheduled/), form.getByRole('button', { name: '发布会议通知' }).click()]);
    state.meeting = Number(new URL(page.url()).pathname.split('/').pop());
    state.code = (await page.locator('[data-testid="door-code"] strong').textContent()).trim();
    assert.match(state.code, /^\d{6}$/);
    assert.ok(await page.locator('[data-testid="roll"] li').count() > 0, 'the roll is listed');
    await noSidewaysScroll(page, 'meeting page (staff)');
    await noSeriousViolations(page, 'meeting page (staff)');
  });
});

test('a resident signs in with the door code in elderly mode', { timeout: T }, async () => {
  await withPage('cogov-meeting-signin-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/meetings/${state.meeting}?elder=1`);
    await page.goto(`${env.base}/meetings/${state.meeting}?elder=1&lang=zh-CN`);
    assert.equal(await page.locator('[data-testid="door-code"]').count(), 0, 'residents do not see the code');
    await page.getByLabel('输入门口展示的签到码').fill(state.code);
    await Promise.all([page.waitForURL(/done=signed_in/), page.getByRole('button', { name: '签到' }).click()]);
    await page.locator('[data-testid="signed-in"]').waitFor();
    await noSidewaysScroll(page, 'meeting page, elderly mode');
    await noSeriousViolations(page, 'meeting page, elderly mode');
  });
});

test('the secretary publishes the minutes; the proposal shows the decision', { timeout: T }, async () => {
  await withPage('cogov-meeting-minutes-en-360', phone, async (page) => {
    await logInAs(page, secretary, `/meetings/${state.meeting}`);
    await page.goto(`${env.base}/meetings/${state.meeting}?lang=en`);
    const form = page.locator('[data-testid="minutes-form"]');
    await form.getByRole('radio', { name: 'adopted', exact: true }).check();
    await form.getByLabel('Note').fill('Ask the street office to fund it');
    await form.getByLabel('Minutes').fill('Residents agreed.');
    await Promise.all([page.waitForURL(/done=minutes/), form.getByRole('button', { name: 'Publish the minutes' }).click()]);
    assert.match(await page.locator('[data-testid="attendance"]').textContent(), /1 signed in of \d+ invited/);
    assert.match(await page.locator('[data-testid="agenda"]').textContent(), /adopted/);
    await noSidewaysScroll(page, 'published minutes');
    await noSeriousViolations(page, 'published minutes');
    await page.goto(`${env.base}/proposals/${state.proposal}?lang=en`);
    assert.match(await page.locator('[data-testid="proposal-meeting"]').textContent(), /adopted.*street office/);
  });
});
