// Co-governance projects (共建共管共评共享) in the pages: staff start a project
// from a proposal adopted in a meeting's minutes (1280 px, English), with a
// milestone already past its date that shows red at once; they add a
// milestone and a progress report with a photo; a resident comments on a
// phone in elderly mode (zh-CN); the project ends and the resident rates
// it; the public notice board shows its progress — without sideways
// scrolling and without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const desk = { width: 1280, height: 900 };
const state = { proposal: 0, project: 0, community: '' };
const day = (offset) => new Date(Date.now() + offset * 86400e3 + 8 * 3600e3).toISOString().slice(0, 10); // in China

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

async function photo(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 800; c.height = 600;
    const x = c.getContext('2d');
    x.fillStyle = '#8d6e63'; x.fillRect(0, 0, 800, 600);
    x.fillStyle = '#2e7d32'; x.fillRect(100, 100, 600, 300);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  });
  return { name: 'progress.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

test('staff start a project from an adopted proposal, add a milestone and progress', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  state.community = (await sec('GET', '/api/v1/me')).user.grants[0].area_code;
  const { proposal } = await (await apiJSON(resident))('POST', '/api/v1/proposals', { area_code: state.community, title: '单元门口加装无障碍坡道' });
  await sec('POST', `/api/v1/proposals/${proposal.id}/moderate`, { decision: 'accept' });
  const { meeting } = await sec('POST', '/api/v1/meetings', { area_code: state.community, title: '坡道议事会', place: '活动室',
    starts_at: new Date(Date.now() + 3600e3).toISOString(), agenda: [proposal.id] });
  await sec('POST', `/api/v1/meetings/${meeting.id}/minutes`, { minutes: '同意', items: [{ proposal_id: proposal.id, decision: 'adopted' }] });
  state.proposal = proposal.id;
  await withPage('cogov-project-staff-1280-en', desk, async (page) => {
    await logInAs(page, secretary, `/proposals/${proposal.id}`);
    await page.goto(`${env.base}/proposals/${proposal.id}?lang=en`);
    await Promise.all([page.waitForURL(/\/projects\?proposal=/), page.locator('[data-testid="start-project"]').click()]);
    assert.match(await page.locator('[data-testid="start-from"]').textContent(), /无障碍坡道/);
    await page.getByLabel('Owner (a person or department)').fill('社区居委会');
    await page.getByLabel('Budget (yuan)').fill('26000');
    await page.getByLabel('Start date').fill(day(-10));
    await page.getByLabel('Milestone', { exact: true }).fill('设计方案');
    await page.getByLabel('Due date').fill(day(-2)); // already past: red at once
    await Promise.all([page.waitForURL(/done=started/), page.getByRole('button', { name: 'Start project' }).click()]);
    state.project = Number(new URL(page.url()).pathname.split('/').pop());
    assert.equal(await page.locator('[data-testid="milestone"] [data-light="red"]').count(), 1, 'the past milestone is red');

    await page.getByLabel('Milestone', { exact: true }).fill('坡道施工');
    await page.getByLabel('Due date').fill(day(20));
    await Promise.all([page.waitForURL(/done=milestone/), page.getByRole('button', { name: 'Add milestone' }).click()]);
    assert.equal(await page.locator('[data-testid="milestone"]').count(), 2);
    assert.equal(await page.locator('[data-testid="milestone"] [data-light="green"]').count(), 1, 'the new milestone is green');

    await page.getByLabel('Progress report').fill('施工队已进场，预计两周完工。');
    await page.getByLabel('Progress photo (optional)').setInputFiles(await photo(page));
    await page.locator('input[type="hidden"][name="photos"]').waitFor({ state: 'attached' });
    await Promise.all([page.waitForURL(/done=update/), page.getByRole('button', { name: 'Post progress' }).click()]);
    assert.equal(await page.locator('[data-testid="update"] img').count(), 1, 'the progress photo is shown');

    // Spending: past the budget is refused without a reason, taken with one.
    const spend = async (reason) => {
      await page.locator('[data-testid="spending-form"] summary').click();
      const sp = page.locator('[data-testid="spending-form"] form');
      await sp.getByLabel('Amount (yuan, up to two decimals)').fill('26000.50');
      await sp.getByLabel('What for').fill('坡道材料和人工');
      if (reason) await sp.getByLabel('Why past the budget').fill(reason);
      await Promise.all([page.waitForURL(reason ? /done=spending/ : /failed=invalid/), sp.getByRole('button', { name: 'Enter', exact: true }).click()]);
    };
    await spend('');
    await spend('防滑地砖涨价');
    assert.match(await page.locator('[data-testid="project-spent"]').textContent(), /26000\.50 of 26000\.00 yuan.*over budget/s);
    await page.locator('[data-testid="project-proposal"]').waitFor();
    await noSidewaysScroll(page, 'project page (staff)');
    await noSeriousViolations(page, 'project page (staff)');
  });
});

test('a resident reads the project and comments in elderly mode on a phone', { timeout: T }, async () => {
  await withPage('cogov-project-resident-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/projects/${state.project}?elder=1`);
    await page.goto(`${env.base}/projects/${state.project}?elder=1&lang=zh-CN`);
    assert.equal(await page.locator('.staff-tools').count(), 0, 'residents have no staff tools');
    assert.match(await page.locator('[data-testid="milestones"]').textContent(), /已超时/);
    assert.match(await page.locator('[data-testid="over-reason"]').textContent(), /防滑地砖涨价/, 'residents read why the budget was passed');
    await page.getByLabel('我要留言').fill('坡道坡度请按无障碍标准，轮椅能上去。');
    await Promise.all([page.waitForURL(/done=commented/), page.getByRole('button', { name: '发表留言' }).click()]);
    assert.match(await page.locator('[data-testid="comments"]').textContent(), /轮椅能上去/);
    await noSidewaysScroll(page, 'project page, elderly mode');
    await noSeriousViolations(page, 'project page, elderly mode');
  });
});

test('the project ends and the resident rates it; the notice board shows it', { timeout: T }, async () => {
  await withPage('cogov-project-end-1280-en', desk, async (page) => {
    await logInAs(page, secretary, `/projects/${state.project}`);
    await page.goto(`${env.base}/projects/${state.project}?lang=en`);
    for (const phase of ['build', 'manage', 'evaluate']) {
      await Promise.all([page.waitForURL(/done=phase/), page.locator('[data-testid="next-phase"]').click()]);
      assert.match(await page.locator('[data-testid="project-phase"]').textContent(), new RegExp(phase, 'i'));
    }
    assert.equal(await page.getByRole('button', { name: 'Send rating' }).count(), 0, 'staff do not rate');
  });
  await withPage('cogov-project-rate-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/projects/${state.project}?elder=1`);
    await page.goto(`${env.base}/projects/${state.project}?elder=1&lang=zh-CN`);
    await page.getByRole('radio', { name: /^5/ }).check();
    await Promise.all([page.waitForURL(/done=rated/), page.getByRole('button', { name: '提交评价' }).click()]);
    assert.match(await page.locator('[data-testid="satisfaction"]').textContent(), /5\.0 分（1 人评价）/);
    assert.equal(await page.getByRole('button', { name: '提交评价' }).count(), 0, 'rated once');
    await noSidewaysScroll(page, 'rated project');
    await noSeriousViolations(page, 'rated project');
  });
  await withPage('cogov-project-board-360', phone, async (page) => {
    await page.goto(`${env.base}/notices/${state.community}?lang=zh-CN`);
    const card = page.locator('[data-testid="project-list"] li', { hasText: '无障碍坡道' });
    assert.match(await card.textContent(), /共评·评价/);
    assert.match(await card.textContent(), /1 项逾期/);
    assert.doesNotMatch(await card.textContent(), /社区居委会/, 'no owner on the public board');
    // The project page needs a login: a visitor of the public board gets no link that would refuse them.
    assert.equal(await card.locator('a[href^="/projects/"]').count(), 0, 'a logged-out visitor is offered no link to a page they may not open');
    await noSidewaysScroll(page, 'notice board with projects');
  }, { keepCookies: false });
});
