// Households and one vote per household in the pages: the community
// secretary adds the building head to the demo resident's flat on the
// building's households page, opens a one-vote-per-household vote of the
// building there, the resident votes for the flat, the building head — on
// a phone in elderly mode, the ballot already on the screen — tries to
// vote too and is told their household has voted; the secretary closes
// the vote and the result counts households. zh-CN and English, 360 px
// and 1280 px, without sideways scrolling and without serious
// accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const buildingHead = '19900000005';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const wide = { width: 1280, height: 800 };
const state = { building: '', room: '', vote: 0 };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('the secretary adds the building head to the resident\'s flat', { timeout: T }, async () => {
  const asRes = await apiJSON(resident);
  const { household } = await asRes('GET', '/api/v1/me/household');
  state.building = household.area_code;
  state.room = household.room;
  assert.ok(household.members.some((m) => m.representative), 'the demo flat has a representative');
  // Neighbours and the building head do not read the building's households.
  const head = await apiJSON(buildingHead);
  await assert.rejects(head('GET', `/api/v1/areas/${state.building}/households`), /403/);

  await withPage('hh-staff-1280', wide, async (page) => {
    await logInAs(page, secretary, `/grids/${state.building}`);
    await page.goto(`${env.base}/grids/${state.building}?lang=zh-CN`);
    await Promise.all([page.waitForURL(/\/households$/), page.locator('[data-testid="households-link"]').click()]);
    assert.equal(await page.locator('h1').textContent(), '住户登记');
    const card = page.locator('[data-testid="household"]').filter({ hasText: `${state.room} 室` });
    const before = await card.locator('.hh-members li').count();
    await page.locator('#hh-room').fill(state.room);
    await page.locator('#hh-phone').fill(buildingHead);
    await page.locator('#hh-role').selectOption('member');
    await Promise.all([page.waitForURL(/done=households/), page.getByRole('button', { name: '保存' }).click()]);
    await page.getByText('住户登记已保存。').waitFor();
    assert.equal(await card.locator('.hh-members li').count(), before + 1);
    // Masked: no full phone number anywhere on the page.
    assert.doesNotMatch(await page.locator('main').textContent(), /1990000000\d/);
    // A bad row writes nothing and says why.
    await page.locator('#hh-csv').fill('9-999,19900000099,member');
    await Promise.all([page.waitForURL(/failed=/), page.getByRole('button', { name: '导入' }).click()]);
    assert.equal(await page.locator('[data-testid="household"]').filter({ hasText: '9-999 室' }).count(), 0);
    await noSidewaysScroll(page, 'households page');
    await noSeriousViolations(page, 'households page');
  });
  await withPage('hh-staff-en-elder-360', phone, async (page) => {
    await logInAs(page, secretary, `/buildings/${state.building}/households`);
    await page.goto(`${env.base}/buildings/${state.building}/households?lang=en&elder=1`);
    assert.equal(await page.locator('h1').textContent(), 'Households');
    await page.locator('[data-testid="hh-rep"]').first().waitFor();
    await noSidewaysScroll(page, 'households page, English, elderly mode');
  });
  await withPage('hh-staff-zh-320', { width: 320, height: 640 }, async (page) => {
    await logInAs(page, secretary, `/buildings/${state.building}/households`);
    for (const q of ['lang=zh-CN', 'lang=zh-CN&elder=1', 'lang=en']) {
      await page.goto(`${env.base}/buildings/${state.building}/households?${q}`);
      await page.locator('[data-testid="household"]').first().waitFor();
      await noSidewaysScroll(page, `households page at 320 px (${q})`);
    }
  });
});

test('one vote per household: the second member of the flat is told their household has voted', { timeout: T }, async () => {
  await withPage('hh-open-vote-1280', wide, async (page) => {
    await logInAs(page, secretary, `/buildings/${state.building}/households`);
    await page.goto(`${env.base}/buildings/${state.building}/households?lang=zh-CN`);
    await page.locator('#hh-question').fill('楼道是否安装感应灯？（浏览器测试）');
    await page.locator('#hh-electorate').selectOption('household');
    await Promise.all([page.waitForURL(/\/votes\/\d+/), page.locator('[data-testid="hh-vote"]').getByRole('button', { name: '发起表决' }).click()]);
    state.vote = Number(new URL(page.url()).pathname.split('/').pop());
    await page.getByText('表决已发起，名册已冻结。').waitFor();
    assert.equal(await page.locator('[data-testid="electorate-badge"]').textContent(), '每户一票');
    assert.match(await page.locator('main').textContent(), /已投 0 户 \/ 名册 \d+ 户/);
  });
  await withPage('hh-second-member-elder-360', phone, async (page) => {
    await logInAs(page, buildingHead, `/votes/${state.vote}?elder=1`);
    await page.goto(`${env.base}/votes/${state.vote}?elder=1&lang=zh-CN`);
    const ballot = page.locator('[data-testid="ballot"]');
    await ballot.waitFor();
    // Meanwhile the resident casts the flat's ballot.
    const asRes = await apiJSON(resident);
    const { receipt } = await asRes('POST', `/api/v1/votes/${state.vote}/ballot`, { choices: ['yes'] });
    assert.ok(receipt);
    await ballot.getByText('不同意', { exact: true }).click();
    await Promise.all([page.waitForURL(/failed=/), ballot.getByRole('button', { name: '投票' }).click()]);
    await page.locator('[data-testid="household-voted"]').getByText('您家已有成员投过票：每户一票。').waitFor();
    assert.equal(await page.locator('[data-testid="ballot"]').count(), 0, 'no ballot for a household that voted');
    await noSidewaysScroll(page, 'household voted, elderly mode');
    await noSeriousViolations(page, 'household voted');
    await page.goto(`${env.base}/votes/${state.vote}?elder=1&lang=en`);
    await page.getByText('Someone in your household has voted already: one vote per household.').waitFor();
  });
  const head = await apiJSON(buildingHead);
  const { vote } = await head('GET', `/api/v1/votes/${state.vote}`);
  assert.ok(vote.on_roll && !vote.voted && vote.household_voted && !vote.can_vote);
  await assert.rejects(head('POST', `/api/v1/votes/${state.vote}/ballot`, { choices: ['no'] }), /409/);
});

test('the result counts households', { timeout: T }, async () => {
  await withPage('hh-result-360', phone, async (page) => {
    await logInAs(page, secretary, `/votes/${state.vote}`);
    await page.goto(`${env.base}/votes/${state.vote}?lang=zh-CN`);
    await Promise.all([page.waitForURL(/done=closed/), page.getByRole('button', { name: '结束表决并公布结果' }).click()]);
    const result = page.locator('[data-testid="result"]');
    await result.waitFor();
    assert.match(await page.locator('[data-testid="turnout"]').textContent(), /参加 1 户 \/ 名册 \d+ 户/);
    assert.match(await result.textContent(), /户数/);
    await noSidewaysScroll(page, 'household result');
    await noSeriousViolations(page, 'household result');
    await page.goto(`${env.base}/votes/${state.vote}?lang=en`);
    assert.match(await page.locator('[data-testid="turnout"]').textContent(), /1 of \d+ households took part/);
  });
  await withPage('hh-result-en-1280', wide, async (page) => {
    await logInAs(page, resident, `/votes/${state.vote}`);
    await page.goto(`${env.base}/votes/${state.vote}?lang=en&elder=1`);
    await page.locator('[data-testid="result"]').waitFor();
    await noSidewaysScroll(page, 'household result, English, elderly mode');
  });
  // The recount from the published ballots equals the tally.
  const call = await apiJSON(resident);
  const { vote } = await call('GET', `/api/v1/votes/${state.vote}`);
  const { ballots } = await call('GET', `/api/v1/votes/${state.vote}/ballots`);
  const recount = Object.fromEntries(vote.options.map((o) => [o, ballots.filter((b) => b.choices.includes(o)).length]));
  assert.deepEqual(recount, Object.fromEntries(vote.result.counts.map((c) => [c.option, c.count])));
  assert.equal(vote.result.electorate, 'household');
});

test('an owners\' vote reports the area beside the head count', { timeout: T }, async () => {
  const staff = await apiJSON(secretary);
  const { vote } = await staff('POST', '/api/v1/votes', { area_code: state.building, question: '是否动用维修资金更换水泵？（浏览器测试）',
    method: 'yes_no', hours: 24, electorate: 'owners', rule: 'owners_three_quarters' });
  assert.equal(vote.electorate, 'owners');
  assert.ok(vote.roll_area > 0);
  // The demo resident owns the flat; the building head, a member who owns nothing, is not on the roll.
  const asRes = await apiJSON(resident);
  await asRes('POST', `/api/v1/votes/${vote.id}/ballot`, { choices: ['yes'] });
  const head = await apiJSON(buildingHead);
  await assert.rejects(head('POST', `/api/v1/votes/${vote.id}/ballot`, { choices: ['no'] }), /403/);
  await withPage('hh-owners-result-elder-360', phone, async (page) => {
    await logInAs(page, secretary, `/votes/${vote.id}`);
    await page.goto(`${env.base}/votes/${vote.id}?lang=zh-CN&elder=1`);
    await Promise.all([page.waitForURL(/done=closed/), page.getByRole('button', { name: '结束表决并公布结果' }).click()]);
    await page.locator('[data-testid="result"]').waitFor();
    assert.match(await page.locator('[data-testid="turnout"]').textContent(), /参加业主 1 人 \/ 名册 \d+ 人/);
    assert.match(await page.locator('[data-testid="turnout-area"]').textContent(), /参加面积 [\d.]+ \/ 名册面积 [\d.]+ 平方米/);
    assert.match(await page.locator('[data-testid="double-majority"]').textContent(), /人数同意 ✓/);
    assert.match(await page.locator('[data-testid="result"]').textContent(), /《民法典》第二百七十八条/);
    await noSidewaysScroll(page, 'owners\' result, elderly mode');
    await noSeriousViolations(page, 'owners\' result');
  });
  const { ballots } = await asRes('GET', `/api/v1/votes/${vote.id}/ballots`);
  assert.equal(ballots.length, 1);
  assert.ok(ballots[0].weight > 0, 'an owners\' ballot carries its area');
});
