// Co-governance end to end in the pages: a resident proposes a matter for
// their community on a phone, neighbours support it (the building head on
// the page in elderly mode, the rest over the API) until it is on the
// agenda, the community secretary opens a vote, the resident votes on the
// ballot page in elderly mode and gets a receipt, checks it, the building
// head votes too, the secretary closes the vote and the result is
// published with turnout, quorum and the rule — in zh-CN and in English,
// without sideways scrolling at 360 px and without serious accessibility
// violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON, eventually } from './harness.mjs';

setup();

const resident = '19900000001';
const buildingHead = '19900000005';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const title = '楼下增设休息座椅（浏览器测试）';
const state = { proposal: 0, vote: 0, receipt: '' };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('a resident proposes on a phone', { timeout: T }, async () => {
  await withPage('cogov-propose-360', phone, async (page) => {
    await logInAs(page, resident, '/proposals');
    await page.goto(`${env.base}/proposals?lang=zh-CN`);
    assert.equal(await page.locator('h1').textContent(), '议事与表决');
    // The demo's open vote is listed for the resident.
    await page.locator('[data-testid="open-votes"]').getByText('小区增设电动车充电桩').waitFor();
    const community = await page.locator('#cg-scope option').evaluateAll((os) => os.map((o) => o.value).find((v) => v.length === 12));
    await page.locator('#cg-scope').selectOption(community);
    await page.locator('#cg-title').fill(title);
    await page.locator('#cg-body').fill('老人散步走累了没有地方坐。');
    await Promise.all([page.waitForURL(/\/proposals\/\d+/), page.getByRole('button', { name: '提交议题' }).click()]);
    state.proposal = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator('[data-testid="flash"]').waitFor();
    assert.equal(await page.locator('[data-testid="proposal-status"]').textContent(), '征集附议');
    assert.match(await page.locator('[data-testid="supports"]').textContent(), /附议 0 \/ 5 人/);
    // One's own proposal offers no support button.
    assert.equal(await page.getByRole('button', { name: '我附议' }).count(), 0);
    await noSidewaysScroll(page, 'proposal page');
    await noSeriousViolations(page, 'proposal page');
  });
});

test('neighbours support it onto the agenda', { timeout: T }, async () => {
  await withPage('cogov-support-elder-360', phone, async (page) => {
    await logInAs(page, buildingHead, `/proposals/${state.proposal}?elder=1`);
    await page.goto(`${env.base}/proposals/${state.proposal}?elder=1`);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elderly mode');
    await Promise.all([page.waitForURL(/done=supported/), page.getByRole('button', { name: '我附议' }).click()]);
    assert.match(await page.locator('[data-testid="supports"]').textContent(), /附议 1 \/ 5 人/);
    await page.getByText('您已附议。').first().waitFor();
    await noSidewaysScroll(page, 'proposal page, elderly mode');
  });
  // Four more people of the community support it over the API.
  for (const p of ['19900000003', '19900000004', '19900000006', '19900000008']) {
    const call = await apiJSON(p);
    await call('POST', `/api/v1/proposals/${state.proposal}/support`);
  }
  const call = await apiJSON(resident);
  const { proposal } = await call('GET', `/api/v1/proposals/${state.proposal}`);
  assert.equal(proposal.status, 'agenda');
});

test('the secretary opens a vote; the resident votes in elderly mode and checks the receipt', { timeout: T }, async () => {
  await withPage('cogov-open-vote', { width: 1024, height: 800 }, async (page) => {
    await logInAs(page, secretary, `/proposals/${state.proposal}`);
    await page.goto(`${env.base}/proposals/${state.proposal}`);
    await page.locator('#cg-rule').selectOption('residents_meeting');
    await Promise.all([page.waitForURL(/\/votes\/\d+/), page.getByRole('button', { name: '发起表决' }).click()]);
    state.vote = Number(new URL(page.url()).pathname.split('/').pop());
    await page.getByText('表决已发起，名册已冻结。').waitFor();
    // Staff are not on a residents' roll.
    await page.locator('[data-testid="not-on-roll"]').waitFor();
  });
  // The resident, on the roll, is told of the new vote.
  const asRes = await apiJSON(resident);
  const told = await eventually(async () => {
    const { notifications } = await asRes('GET', '/api/v1/notifications');
    const t = notifications.filter((n) => n.kind === 'cogov.vote_opened' && n.link === `/votes/${state.vote}`);
    return t.length && t;
  }, 'the resident was told of the vote');
  assert.equal(told.length, 1, 'the resident was told of the vote more than once');
  assert.match(told[0].title, new RegExp(title.slice(0, 6)));
  await withPage('cogov-ballot-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/votes/${state.vote}?elder=1`);
    await page.goto(`${env.base}/votes/${state.vote}?elder=1`);
    const ballot = page.locator('[data-testid="ballot"]');
    await ballot.waitFor();
    // Each choice is a large target in elderly mode.
    const box = await ballot.locator('label.ballot-choice').first().boundingBox();
    assert.ok(box.height >= 56, `choice is ${box.height}px high`);
    await noSidewaysScroll(page, 'ballot, elderly mode');
    await noSeriousViolations(page, 'ballot');
    await ballot.getByText('同意', { exact: true }).click();
    await ballot.getByRole('button', { name: '投票' }).click();
    const receipt = page.locator('[data-testid="receipt"] .receipt-code');
    await receipt.waitFor();
    state.receipt = (await receipt.textContent()).trim();
    assert.match(state.receipt, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){4}$/);
    assert.equal(await page.locator('[data-testid="ballot"]').count(), 0, 'no second ballot');
    await page.locator('#cg-receipt').fill(state.receipt.toLowerCase());
    await page.getByRole('button', { name: '核对' }).click();
    assert.match(await page.locator('[data-testid="receipt-counted"]').textContent(), /您的选票已计入：\s*同意/);
    await noSidewaysScroll(page, 'receipt, elderly mode');
  });
  // A second ballot by the resident is refused; the building head votes no.
  const asResident = await apiJSON(resident);
  const { vote } = await asResident('GET', `/api/v1/votes/${state.vote}`);
  assert.ok(vote.voted && !vote.can_vote);
  const head = await apiJSON(buildingHead);
  await head('POST', `/api/v1/votes/${state.vote}/ballot`, { choices: ['no'] });
});

test('the secretary closes the vote and the result is published', { timeout: T }, async () => {
  await withPage('cogov-result-360', phone, async (page) => {
    await logInAs(page, secretary, `/votes/${state.vote}`);
    await page.goto(`${env.base}/votes/${state.vote}`);
    await Promise.all([page.waitForURL(/done=closed/), page.getByRole('button', { name: '结束表决并公布结果' }).click()]);
    const result = page.locator('[data-testid="result"]');
    await result.waitFor();
    const text = await result.textContent();
    // Two of the roll voted: far from more than half of the community's residents.
    assert.match(text, /参加人数不足，表决无效/);
    assert.match(text, /参加 2 人 \/ 名册 \d+ 人/);
    assert.match(text, /参加人数未达到要求/);
    assert.match(text, /公示至/);
    assert.match(text, /《城市居民委员会组织法》第九条/);
    await noSidewaysScroll(page, 'result');
    await noSeriousViolations(page, 'result');
    await page.goto(`${env.base}/votes/${state.vote}?lang=en`);
    assert.match(await result.textContent(), /Too few took part: no decision/);
    await page.goto(`${env.base}/proposals?lang=zh-CN`);
  });
  // Anyone in scope recounts from the published ballots: the same counts.
  const call = await apiJSON(resident);
  const { vote } = await call('GET', `/api/v1/votes/${state.vote}`);
  const { ballots } = await call('GET', `/api/v1/votes/${state.vote}/ballots`);
  const recount = Object.fromEntries(vote.options.map((o) => [o, ballots.filter((b) => b.choices.includes(o)).length]));
  assert.deepEqual(recount, Object.fromEntries(vote.result.counts.map((c) => [c.option, c.count])));
  assert.deepEqual(Object.keys(ballots[0]).sort(), ['choices', 'receipt_hash']);
});

test('anyone reads the community\'s public notice board, in elderly mode on a phone', { timeout: T }, async () => {
  const call = await apiJSON(resident);
  const { vote } = await call('GET', `/api/v1/votes/${state.vote}`);
  await withPage('cogov-board-elder-360', phone, async (page) => {
    await page.goto(`${env.base}/notices/${vote.area_code}?elder=1&lang=zh-CN`);
    const board = page.locator('[data-testid="board"]');
    await board.getByText(title).waitFor();
    // The demo's decided vote is on notice too; nobody who voted is named.
    await board.getByText('调整垃圾分类投放点').waitFor();
    assert.doesNotMatch(await board.textContent(), /演示|\*\*\*\*/);
    await noSidewaysScroll(page, 'notice board, elderly mode');
    await noSeriousViolations(page, 'notice board');
  });
});
