// Score and ranked polls in the pages: the secretary opens a ranked poll
// and a score poll in the demo's first building; the demo resident ranks
// the options on a phone in elderly mode by tapping them in order (with an
// undo), and scores the other poll on a wide screen in English; the
// building head votes over the API; the secretary closes the ranked poll
// and the result shows the rounds of the runoff and the rule applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const head = '19900000005';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const wide = { width: 1280, height: 900 };
const state = { building: '', ranked: 0, score: 0 };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('the secretary opens a ranked and a score poll', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  const { elections } = await sec('GET', '/api/v1/elections');
  state.building = elections[0].area_code; // the demo's first building
  const ranked = await sec('POST', '/api/v1/votes', {
    area_code: state.building, question: '新路灯装在哪个门', method: 'ranked', options: ['东门', '西门', '北门'],
    rule: 'simple_majority', hours: 24,
  });
  assert.equal(ranked.vote.method, 'ranked');
  state.ranked = ranked.vote.id;
  const score = await sec('POST', '/api/v1/votes', {
    area_code: state.building, question: 'Opening hours of the activity room', method: 'score', options: ['Mornings', 'Afternoons', 'Evenings'],
    rule: 'simple_majority', hours: 24,
  });
  state.score = score.vote.id;
  // A poll under a qualified share is refused: only the quorum of a rule applies to a poll.
  const r = await (await import('./harness.mjs')).apiSession(secretary).then((call) => call('POST', '/api/v1/votes', {
    area_code: state.building, question: 'x', method: 'ranked', options: ['a', 'b'], rule: 'two_thirds', hours: 24,
  }));
  assert.equal(r.status, 400);
});

test('a resident ranks the options by tapping them in order, on a phone, in elderly mode', { timeout: 2 * T }, async () => {
  await withPage('cogov-poll-ranked-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/votes/${state.ranked}?elder=1`);
    await page.goto(`${env.base}/votes/${state.ranked}?elder=1&lang=zh-CN`);
    const ballot = page.locator('[data-testid="ballot"]');
    assert.equal(await ballot.locator('[data-testid="cast"]').count(), 0, 'nothing to cast before a tap');
    const h = await ballot.getByRole('button', { name: '北门' }).boundingBox();
    assert.ok(h.height >= 60 && h.width >= 280, `a big target: ${JSON.stringify(h)}`);
    await Promise.all([page.waitForLoadState(), ballot.getByRole('button', { name: '北门' }).click()]);
    await Promise.all([page.waitForLoadState(), ballot.getByRole('button', { name: '西门' }).click()]);
    assert.deepEqual(await ballot.locator('[data-testid="rank-order"] li').allTextContents(), ['北门', '西门']);
    // A wrong tap is undone; then 东门 second.
    await Promise.all([page.waitForLoadState(), ballot.locator('[data-testid="rank-undo"]').click()]);
    assert.deepEqual(await ballot.locator('[data-testid="rank-order"] li').allTextContents(), ['北门']);
    await Promise.all([page.waitForLoadState(), ballot.getByRole('button', { name: '东门' }).click()]);
    assert.deepEqual(await ballot.locator('[data-testid="rank-order"] li').allTextContents(), ['北门', '东门']);
    assert.match(await ballot.textContent(), /请点您的第 3 选择/);
    await noSidewaysScroll(page, 'ranked ballot, elderly mode');
    await noSeriousViolations(page, 'ranked ballot, elderly mode');
    await page.screenshot({ path: 'test-artifacts/cogov-poll-ranked-elder-360-drafted.png', fullPage: true });
    await Promise.all([page.waitForLoadState(), ballot.locator('[data-testid="cast"]').click()]);
    await page.locator('[data-testid="receipt"]').waitFor();
    await page.locator('[data-testid="voted"]').waitFor();
  });
  await withPage('cogov-poll-ranked-1280-en', wide, async (page) => {
    await logInAs(page, head, `/votes/${state.ranked}`);
    await page.goto(`${env.base}/votes/${state.ranked}?lang=en`);
    assert.match(await page.locator('[data-testid="ballot"]').textContent(), /Tap the options in the order you prefer them/);
    await noSeriousViolations(page, 'ranked ballot, wide');
  });
  await (await apiJSON(head))('POST', `/api/v1/votes/${state.ranked}/ballot`, { choices: ['东门', '西门'] });
});

test('a resident scores the options of a score poll', { timeout: T }, async () => {
  await withPage('cogov-poll-score-1280-en', wide, async (page) => {
    await logInAs(page, resident, `/votes/${state.score}`);
    await page.goto(`${env.base}/votes/${state.score}?lang=en`);
    const rows = page.locator('[data-testid="score-row"]');
    assert.equal(await rows.count(), 3);
    await rows.nth(0).getByLabel('5', { exact: true }).check();
    await rows.nth(1).getByLabel('2', { exact: true }).check();
    await noSeriousViolations(page, 'score ballot');
    await Promise.all([page.waitForLoadState(), page.locator('[data-testid="cast"]').click()]);
    await page.locator('[data-testid="receipt"]').waitFor();
  });
  await withPage('cogov-poll-score-elder-360', phone, async (page) => {
    await logInAs(page, head, `/votes/${state.score}?elder=1`);
    await page.goto(`${env.base}/votes/${state.score}?elder=1&lang=zh-CN`);
    const pick = await page.locator('[data-testid="score-row"]').first().locator('.score-pick').first().boundingBox();
    assert.ok(pick.height >= 60 && pick.width >= 40, `a big score target: ${JSON.stringify(pick)}`);
    await noSidewaysScroll(page, 'score ballot, elderly mode');
  });
  const sec = await apiJSON(secretary);
  const { vote } = await sec('POST', `/api/v1/votes/${state.score}/close`);
  assert.equal(vote.result.scores[0].option, 'Mornings');
  assert.equal(vote.result.scores[0].mean, 5);
});

test('the secretary closes the ranked poll; the result shows the rounds', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  const { vote } = await sec('POST', `/api/v1/votes/${state.ranked}/close`);
  // Round 1: 北门 1, 东门 1, 西门 0 of 2 ballots → no majority, 西门 is out;
  // round 2: 东门 1, 北门 1, tied in every round → the poll is tied.
  assert.deepEqual(vote.result.rounds.map((r) => r.eliminated ?? []), [['西门'], []]);
  assert.deepEqual(vote.result.tied, ['东门', '北门']);
  assert.equal(vote.result.winners, undefined);
  await withPage('cogov-poll-result-360', phone, async (page) => {
    await logInAs(page, resident, `/votes/${state.ranked}`);
    await page.goto(`${env.base}/votes/${state.ranked}?lang=zh-CN`);
    const result = page.locator('[data-testid="result"]');
    await result.waitFor();
    assert.equal(await result.locator('[data-testid="rounds"] > li').count(), vote.result.rounds.length);
    assert.match(await result.textContent(), /同票待定：\s*东门\s*北门/);
    assert.match(await result.locator('[data-testid="rounds"] > li').first().textContent(), /淘汰：\s*西门/);
    assert.match(await result.textContent(), /即时决选/);
    await noSidewaysScroll(page, 'ranked result');
    await noSeriousViolations(page, 'ranked result');
  });
  await withPage('cogov-poll-score-result-1280-en', wide, async (page) => {
    await logInAs(page, resident, `/votes/${state.score}`);
    await page.goto(`${env.base}/votes/${state.score}?lang=en`);
    const scores = page.locator('[data-testid="scores"]');
    assert.match(await scores.textContent(), /Mornings\s*5\.00\s*1/);
  });
});
