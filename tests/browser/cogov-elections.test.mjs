// Building-role elections (两长四员) in the pages: the building head accepts
// the nomination the demo seeded; the secretary opens the vote; residents
// vote online (the demo resident in elderly mode) while staff enter paper
// ballots in two steps (one enters with the witness, another confirms) for
// neighbours marked on the roll, and someone who voted online is refused a
// paper ballot;
// the secretary closes the vote, the quorum is reported, the result is on
// the notice board with an objection answered; after the notice period
// (the demo's co-governance clock moved on) the result is final and the
// winner holds the building head's role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON, apiSession } from './harness.mjs';

const clockDir = await mkdtemp(path.join(os.tmpdir(), 'cogov-clock-'));
const clock = path.join(clockDir, 'offset');
await writeFile(clock, '0s');
setup({ args: ['--cogov-clock-file', clock] });

const resident = '19900000001';
const head = '19900000005';
const staff = '19900000006';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const wide = { width: 1280, height: 900 };
const state = { election: 0, vote: 0, building: '', community: '', paperPhones: [] };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('the building head accepts the nomination; the secretary opens the vote', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  const { elections } = await sec('GET', '/api/v1/elections');
  assert.equal(elections.length, 1, 'the demo seeds one election');
  state.election = elections[0].id;
  state.building = elections[0].area_code;
  state.community = state.building.slice(0, 12);
  await withPage('cogov-election-accept-360', phone, async (page) => {
    await logInAs(page, head, `/elections/${state.election}`);
    await page.goto(`${env.base}/elections/${state.election}?lang=zh-CN`);
    await Promise.all([page.waitForURL(/done=accepted/), page.getByRole('button', { name: '同意作为候选人' }).click()]);
    const cands = await page.locator('[data-testid="candidates"]').textContent();
    assert.match(cands, /演示居民/);
    assert.match(cands, /演示楼栋长/);
    await noSidewaysScroll(page, 'election page (nominee)');
    await noSeriousViolations(page, 'election page (nominee)');
  });
  await withPage('cogov-election-open-vote-1280', wide, async (page) => {
    await logInAs(page, secretary, `/elections/${state.election}`);
    await page.goto(`${env.base}/elections/${state.election}?lang=en`);
    const form = page.locator('[data-testid="election-vote"]');
    await Promise.all([page.waitForURL(/done=election_vote/), form.getByRole('button').click()]);
    await page.locator('[data-testid="go-vote"]').waitFor();
    await noSeriousViolations(page, 'election page (staff, vote open)');
  });
  const { election } = await sec('GET', `/api/v1/elections/${state.election}`);
  state.vote = election.vote_id;
  assert.ok(state.vote > 0);
});

test('residents vote online; staff enter paper ballots in two steps', { timeout: 3 * T }, async () => {
  await withPage('cogov-election-ballot-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/votes/${state.vote}?elder=1`);
    await page.goto(`${env.base}/votes/${state.vote}?elder=1&lang=zh-CN`);
    const ballot = page.locator('[data-testid="ballot"]');
    await ballot.getByText('演示居民', { exact: true }).click();
    await Promise.all([page.waitForLoadState(), ballot.getByRole('button').click()]);
    await page.locator('[data-testid="receipt"]').waitFor();
    await noSidewaysScroll(page, 'ballot, elderly mode');
  });
  await (await apiJSON(head))('POST', `/api/v1/votes/${state.vote}/ballot`, { choices: ['演示楼栋长'] });

  // The neighbours on the roll who vote on paper: enough for the quorum.
  const sec = await apiJSON(secretary);
  const { vote } = await sec('GET', `/api/v1/votes/${state.vote}`);
  const need = Math.floor(vote.roll_size / 2) + 1 - 2; // more than half of the roll takes part
  const { users } = await sec('GET', `/api/v1/users?within=${state.building}&role=resident`);
  const { user: me } = await (await apiJSON(resident))('GET', '/api/v1/me');
  const others = users.filter((u) => u.id !== me.id);
  assert.ok(others.length >= need, `the building has ${others.length} other residents, the quorum needs ${need} paper ballots`);
  for (const u of others.slice(0, Math.max(need, 1))) {
    const { phone: p } = await sec('POST', `/api/v1/users/${u.id}/unmask`, { reason: '纸质投票登记' });
    state.paperPhones.push(p);
  }
  const [firstPaper, ...restPaper] = state.paperPhones;
  await withPage('cogov-paper-entry-360', phone, async (page) => {
    await logInAs(page, secretary, `/votes/${state.vote}/paper`);
    await page.goto(`${env.base}/votes/${state.vote}/paper?lang=zh-CN`);
    // Step 1: the voter at the box is marked on the roll.
    await page.getByLabel('选民手机号').fill(firstPaper);
    await Promise.all([page.waitForURL(/done=paper_voter/), page.getByRole('button', { name: '登记' }).click()]);
    // A resident who voted online is refused a paper ballot.
    await page.getByLabel('选民手机号').fill(resident);
    await Promise.all([page.waitForURL(/failed=conflict/), page.getByRole('button', { name: '登记' }).click()]);
    assert.match(await page.locator('#flash').textContent(), /online|网上|已/);
    // Step 2: the secretary enters a ballot with the witness named.
    const enter = page.locator('[data-testid="paper-enter"]');
    await enter.getByText('演示居民', { exact: true }).click();
    await enter.getByLabel('监票人姓名').fill('王监票');
    await Promise.all([page.waitForURL(/done=paper_entered/), enter.getByRole('button', { name: '录入' }).click()]);
    await page.locator('[data-testid="paper-own"]').waitFor(); // they cannot confirm their own entry
    await noSidewaysScroll(page, 'paper ballot entry');
    await noSeriousViolations(page, 'paper ballot entry');
  });
  await withPage('cogov-paper-confirm-en-360', phone, async (page) => {
    await logInAs(page, staff, `/votes/${state.vote}/paper`);
    await page.goto(`${env.base}/votes/${state.vote}/paper?lang=en`);
    await Promise.all([page.waitForURL(/done=paper_confirmed/), page.getByRole('button', { name: 'Checked: confirm' }).click()]);
    await page.locator('[data-testid="paper-confirmed"]').first().waitFor();
  });
  // The rest of the paper ballots over the API: marked, entered, confirmed by another.
  const other = await apiJSON(staff);
  for (const p of restPaper) {
    await sec('POST', `/api/v1/votes/${state.vote}/paper-voters`, { phone: p });
    const { paper_ballot: entry } = await sec('POST', `/api/v1/votes/${state.vote}/paper-ballots`, { choices: ['演示居民'], witness: '王监票' });
    await other('POST', `/api/v1/votes/${state.vote}/paper-ballots/${entry.id}/confirm`);
  }
  // Every ballot counted once: the two online and the paper ones.
  const { vote: after } = await sec('GET', `/api/v1/votes/${state.vote}`);
  assert.equal(after.ballots, 2 + state.paperPhones.length);
});

test('the secretary closes the vote; the quorum is reported; an objection is answered on the board', { timeout: T }, async () => {
  await withPage('cogov-election-close-360', phone, async (page) => {
    await logInAs(page, secretary, `/votes/${state.vote}`);
    await page.goto(`${env.base}/votes/${state.vote}?lang=zh-CN`);
    await Promise.all([page.waitForURL(/done=closed/), page.getByRole('button', { name: '结束表决并公布结果' }).click()]);
    const result = await page.locator('[data-testid="result"]').textContent();
    assert.match(result, /参加人数达到要求/);
    assert.doesNotMatch(result, /未达到/);
    await page.locator('[data-testid="standing-notice"]').waitFor();
  });
  // The building head objects during the notice; the secretary rejects it with a reason.
  await withPage('cogov-objection-elder-360', phone, async (page) => {
    await logInAs(page, head, `/votes/${state.vote}?elder=1`);
    await page.goto(`${env.base}/votes/${state.vote}?elder=1&lang=zh-CN`);
    await page.getByLabel(/异议理由/).fill('有选票没有监票人签字');
    await Promise.all([page.waitForURL(/done=objected/), page.getByRole('button', { name: '提出异议' }).click()]);
    await noSidewaysScroll(page, 'objection, elderly mode');
  });
  await withPage('cogov-objection-answer-360', phone, async (page) => {
    await logInAs(page, secretary, `/votes/${state.vote}`);
    await page.goto(`${env.base}/votes/${state.vote}?lang=zh-CN`);
    await page.getByLabel('答复理由（所有人可见）').fill('经核实，每张纸质选票均有监票人王监票在场');
    await Promise.all([page.waitForURL(/done=objection_decided/), page.getByRole('button', { name: '异议不成立' }).click()]);
  });
  await withPage('cogov-board-objection-360', phone, async (page) => {
    await page.goto(`${env.base}/notices/${state.community}?lang=zh-CN`);
    const board = await page.locator('[data-testid="board"]').textContent();
    assert.match(board, /有选票没有监票人签字/);
    assert.match(board, /异议不成立/);
    assert.match(board, /演示居民/, 'the winner is posted');
    assert.doesNotMatch(board, /演示楼栋长.*提出|19900000005/, 'the objector is not named');
    await noSidewaysScroll(page, 'notice board with an objection');
    await noSeriousViolations(page, 'notice board with an objection');
  });
});

test('after the notice period the result is final and the winner holds the role', { timeout: T }, async () => {
  await writeFile(clock, '480h'); // twenty days on: past five working days
  await withPage('cogov-election-final-360', phone, async (page) => {
    await logInAs(page, resident, `/elections/${state.election}`);
    await page.goto(`${env.base}/elections/${state.election}?lang=zh-CN`);
    assert.match(await page.locator('[data-testid="election-status"]').textContent(), /已撤销|已生效|final/i);
    await page.locator('[data-testid="term"]').waitFor();
    assert.match(await page.locator('[data-testid="winners"]').textContent(), /演示居民/);
    await page.locator('[data-testid="standing-final"]').waitFor();
    await noSidewaysScroll(page, 'final election');
    await noSeriousViolations(page, 'final election');
  });
  // The winner now holds the building head's role, the previous head no longer.
  const me = await (await apiJSON(resident))('GET', '/api/v1/me');
  assert.ok(me.user.grants.some((g) => g.role === 'building_role' && g.detail === 'building_head' && g.area_code === state.building),
    `the winner's grants: ${JSON.stringify(me.user.grants)}`);
  await withPage('cogov-election-winner-role-1280', wide, async (page) => {
    await logInAs(page, resident, '/proposals');
    await page.goto(`${env.base}/proposals?lang=zh-CN`);
    assert.match(await page.locator('.account-who').first().textContent(), /楼栋骨干/);
  });
  const call = await apiSession(head);
  const r = await call('GET', '/api/v1/me');
  assert.equal(r.status, 200);
  const prev = await r.json();
  assert.ok(!prev.user.grants.some((g) => g.role === 'building_role' && g.area_code === state.building), 'the previous head was replaced');
});

test('the election, paper-ballot and board pages do not scroll sideways at 320 px in elderly mode', { timeout: T }, async () => {
  await withPage('cogov-elections-320-elder', { width: 320, height: 640 }, async (page) => {
    await logInAs(page, secretary, '/elections');
    for (const [path, what] of [['/elections', 'elections'], [`/elections/${state.election}`, 'election'],
      [`/votes/${state.vote}/paper`, 'paper ballots'], [`/votes/${state.vote}`, 'vote with objections'], [`/notices/${state.community}`, 'board']]) {
      for (const lang of ['zh-CN', 'en']) {
        await page.goto(`${env.base}${path}?elder=1&lang=${lang}`);
        await noSidewaysScroll(page, `${what} (${lang}, 320 px, elderly)`);
      }
    }
  });
});
