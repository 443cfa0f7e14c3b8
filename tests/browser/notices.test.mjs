// Notices end to end: community staff connect the community's work group
// (a local DingTalk-style robot receiver on loopback, allowed by
// --robot-allow-private) and post a notice asking residents to confirm;
// a resident reads and confirms it on a phone in elderly mode; the building
// head sees who of the building has not confirmed (masked); the receiver
// got the notice with a valid signature and no personal data — at 360 px
// without sideways scrolling and without serious accessibility violations.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { env, setup, withPage, axeViolations, describeViolations, T, WAIT, logInAs, noSidewaysScroll } from './harness.mjs';

setup({ args: ['--robot-allow-private'] });

const resident = '19900000001';
const buildingHead = '19900000005';
const staff = '19900000006';
const phone = { width: 360, height: 740 };
const secret = 'SECnotice-test-0123456789';
const state = { id: 0, title: `停水通知 ${Date.now() % 100000}` };

// The group robot: DingTalk's documented request — POST JSON with msgtype,
// and timestamp and sign (base64 HMAC-SHA256 of "timestamp\nsecret") in
// the query.
const got = [];
let arrived = () => {}; // told of each delivery
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const u = new URL(req.url, 'http://x');
    const ts = u.searchParams.get('timestamp');
    const want = crypto.createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
    got.push({ path: u.pathname, token: u.searchParams.get('access_token'), signOK: u.searchParams.get('sign') === want,
      fresh: Math.abs(Date.now() - Number(ts)) < 3_600_000, type: req.headers['content-type'], body });
    arrived();
    res.setHeader('Content-Type', 'application/json');
    res.end('{"errcode":0,"errmsg":"ok"}');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
after(() => receiver.close());

// delivery waits for a delivery that has the text in its body (looking
// again as each one arrives) for at most WAIT ms; null if none came.
function delivery(text) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { arrived = () => {}; resolve(null); }, WAIT);
    arrived = () => {
      const m = got.find((g) => g.body.includes(text));
      if (m) { clearTimeout(timer); arrived = () => {}; resolve(m); }
    };
    arrived();
  });
}

// tinyPDF writes a one-page PDF saying text, its cross-reference table at
// the offset its trailer names (what the server checks).
function tinyPDF(text) {
  const content = `BT /F1 18 Tf 20 70 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objs.map((o, i) => { const at = out.length; out += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
const pdf = tinyPDF('Water off 10 Dec 9:00-12:00');

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('community staff connect the work group and post a notice asking to confirm', { timeout: T }, async () => {
  await withPage('notices-staff-360', phone, async (page) => {
    await logInAs(page, staff, '/announcements/robots');
    await page.goto(`${env.base}/announcements/robots?lang=zh-CN`);
    await page.locator('#rb-name').fill('社区工作群');
    await page.getByLabel('钉钉群机器人').check();
    await page.locator('#rb-url').fill(`http://127.0.0.1:${receiver.address().port}/robot/send?access_token=tok123`);
    await page.locator('#rb-secret').fill(secret);
    await page.getByLabel('本区域新案件').check();
    await noSidewaysScroll(page, 'robot settings');
    await noSeriousViolations(page, 'robot settings');
    await Promise.all([page.waitForURL(/done=robot_added/), page.getByRole('button', { name: '接入' }).click()]);
    const list = await page.locator('[data-testid="robots"]').textContent();
    assert.match(list, /社区工作群/);
    assert.match(list, /已加签/);
    assert.doesNotMatch(list, /tok123/, 'the robot key is masked');
    assert.match(list, /通知公告、本区域新案件/, 'the group chose new cases too');

    // A file that is not a PDF is refused with the reason, nothing posted.
    await page.goto(`${env.base}/announcements/new?lang=zh-CN`);
    await page.locator('#ntc-title').fill(`${state.title} 假附件`);
    await page.locator('#ntc-body').fill('附件不是 PDF。');
    await page.locator('#ntc-documents').setInputFiles({ name: '安排.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
    await Promise.all([page.waitForURL(/\/announcements\/new\?/), page.getByRole('button', { name: '发布' }).click()]);
    assert.match(await page.locator('main').textContent(), /安排\.pdf: the file is not a PDF document/);
    await page.goto(`${env.base}/announcements?lang=zh-CN`);
    assert.doesNotMatch(await page.locator('main').textContent(), /假附件/, 'nothing posted');

    await page.goto(`${env.base}/announcements/new?lang=zh-CN`);
    await page.locator('#ntc-audience').selectOption('residents');
    await page.locator('#ntc-title').fill(state.title);
    await page.locator('#ntc-body').fill('12月10日 9:00–12:00 二次供水设施清洗，请提前储水。');
    await page.getByLabel('需要确认收到（需确认）').check();
    // A photo attached from the page: shrunk, uploaded, kept as a field.
    const png = await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 800; c.height = 600;
      const x = c.getContext('2d');
      x.fillStyle = '#1565c0'; x.fillRect(0, 0, 800, 600);
      x.fillStyle = '#fff'; x.fillRect(100, 100, 600, 400);
      return c.toDataURL('image/png').split(',')[1];
    });
    await page.locator('#ntc-photos').setInputFiles({ name: 'poster.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
    await page.locator('[data-uploads] [data-ref]').waitFor();
    // A PDF sent with the form (no script needed for it).
    await page.locator('#ntc-documents').setInputFiles({ name: '停水安排.pdf', mimeType: 'application/pdf', buffer: pdf });
    await noSidewaysScroll(page, 'compose page');
    await noSeriousViolations(page, 'compose page');
    await Promise.all([page.waitForURL(/done=posted/), page.getByRole('button', { name: '发布' }).click()]);
    state.id = Number(await page.locator('[data-testid="notice"]').getAttribute('data-id'));
    assert.match(await page.locator('[data-testid="counts"]').textContent(), /已确认 0 人/);
    await page.locator('[data-testid="attachments"] img').waitFor();
    assert.match(await page.locator('[data-testid="documents"]').textContent(), /停水安排\.pdf[\s\S]*PDF 文件，1 KB/);
  });
});

test('a resident reads and confirms it on a phone in elderly mode', { timeout: T }, async () => {
  await withPage('notices-resident-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/announcements?elder=1');
    await page.goto(`${env.base}/announcements?elder=1&lang=zh-CN`);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elderly mode');
    await page.locator('[data-testid="menu-unread"]').waitFor({ state: 'attached' }); // the header's unread mark
    const item = page.locator(`[data-testid="notice-list"] li[data-id="${state.id}"]`);
    assert.match(await item.textContent(), /未读/);
    assert.match(await item.textContent(), /需确认/);
    await noSidewaysScroll(page, 'notice list, elderly mode');
    await noSeriousViolations(page, 'notice list');
    await item.getByRole('link').click();
    await page.locator('[data-testid="confirm-form"]').waitFor();
    // The PDF: a link with its name and size, downloaded as an attachment
    // with the resident's session.
    const link = page.locator('[data-testid="document-link"]');
    assert.match(await link.textContent(), /停水安排\.pdf/);
    const res = await page.request.get(`${env.base}${await link.getAttribute('href')}`);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'application/pdf');
    assert.equal(res.headers()['x-content-type-options'], 'nosniff');
    assert.match(res.headers()['content-disposition'], /^attachment;/);
    assert.ok(Buffer.from(await res.body()).equals(pdf), 'the file as it was sent');
    await noSidewaysScroll(page, 'notice page, elderly mode');
    await noSeriousViolations(page, 'notice page');
    // The demo's gas check notice carries its schedule as a PDF.
    const back = page.url();
    await page.goto(`${env.base}/announcements?elder=1&lang=zh-CN`);
    await page.locator('[data-testid="notice-list"] li', { hasText: '燃气管道入户安全检查' }).getByRole('link').first().click();
    assert.match(await page.locator('[data-testid="documents"]').textContent(), /燃气入户检查安排\.pdf/);
    await page.goto(back);
    await Promise.all([page.waitForURL(/done=confirmed/), page.getByRole('button', { name: '我已阅读并确认' }).click()]);
    await page.locator('[data-testid="confirmed"]').waitFor();
    // The search finds the notice addressed to the resident.
    await page.goto(`${env.base}/search?q=${encodeURIComponent('供水设施')}&lang=zh-CN&elder=1`);
    await page.locator(`a[href="/announcements/${state.id}"]`).first().waitFor();
    await noSidewaysScroll(page, 'search results with a notice, elderly mode');
  });
});

test('the building head sees who of the building has not confirmed, masked', { timeout: T }, async () => {
  await withPage('notices-follow-up-360', phone, async (page) => {
    await logInAs(page, buildingHead, '/announcements/follow-up');
    await page.goto(`${env.base}/announcements/follow-up?lang=zh-CN`);
    await page.locator('[data-testid="followable"]').getByRole('link', { name: state.title }).click();
    const counts = await page.locator('[data-testid="follow-counts"]').textContent();
    assert.match(counts, /已确认 1 人/);
    const people = page.locator('[data-testid="unreached"] li');
    const n = await people.count();
    assert.ok(n >= 1, 'someone of the building has not confirmed');
    for (let i = 0; i < n; i++) {
      const t = await people.nth(i).textContent();
      assert.match(t, /\*/, `masked: ${t}`);
      assert.doesNotMatch(t, /(?<!\d)1\d{10}(?!\d)/, `no full phone: ${t}`);
    }
    await noSidewaysScroll(page, 'follow-up list');
    await noSeriousViolations(page, 'follow-up list');
    // Who read it, and when: the resident who confirmed, masked.
    await Promise.all([page.waitForURL(/show=read/), page.locator('[data-testid="show-readers"]').click()]);
    const readers = await page.locator('[data-testid="readers"]').textContent();
    assert.match(readers, /\d{4}-\d\d-\d\d \d\d:\d\d 阅读 · \d{4}-\d\d-\d\d \d\d:\d\d 确认/);
    assert.match(readers, /\*/, 'masked');
    assert.doesNotMatch(readers, /(?<!\d)1\d{10}(?!\d)/, 'no full phone');
    await noSidewaysScroll(page, 'who read it');
    await noSeriousViolations(page, 'who read it');
  });
});

test('the work group got the notice, signed, without personal data', { timeout: T }, async () => {
  const m = await delivery(state.title);
  assert.ok(m, `no delivery of the notice; got ${JSON.stringify(got)}`);
  assert.equal(m.path, '/robot/send');
  assert.equal(m.token, 'tok123');
  assert.ok(m.signOK, 'valid DingTalk signature');
  assert.ok(m.fresh, 'a current timestamp');
  assert.match(m.type, /^application\/json/);
  const msg = JSON.parse(m.body);
  assert.equal(msg.msgtype, 'text');
  assert.match(msg.text.content, /二次供水设施清洗/);
  assert.doesNotMatch(m.body, /(?<!\d)1\d{10}(?!\d)/, "no phone");
  assert.doesNotMatch(m.body, /社区工作者|发布人|\*/, 'no poster');
});

// A notice to a volunteer team: the demo's riders' team, whose captain is
// the demo volunteer; the resident is of the community but not of the team.
const volunteer = '19900000003';
const team = { id: 0, title: `志愿队集合 ${Date.now() % 100000}` };
const desktop = { width: 1280, height: 900 };

test('staff post a notice to a volunteer team from the compose page', { timeout: T }, async () => {
  await withPage('notices-team-compose-360', phone, async (page) => {
    await logInAs(page, staff, '/announcements/new');
    await page.goto(`${env.base}/announcements/new?lang=zh-CN`);
    const option = page.locator('#ntc-team option', { hasText: '红色骑手志愿队' });
    await page.locator('#ntc-team').selectOption(await option.getAttribute('value'));
    await page.locator('#ntc-title').fill(team.title);
    await page.locator('#ntc-body').fill('周六上午九点在骑手驿站集合，带好反光背心。');
    await noSidewaysScroll(page, 'compose page with the team field');
    await noSeriousViolations(page, 'compose page with the team field');
    await Promise.all([page.waitForURL(/done=posted/), page.getByRole('button', { name: '发布' }).click()]);
    team.id = Number(await page.locator('[data-testid="notice"]').getAttribute('data-id'));
    assert.match(await page.locator('[data-testid="team-mark"]').textContent(), /红色骑手志愿队/);
    assert.match(await page.locator('[data-testid="counts"]').textContent(), /应读 1 人/);
    await page.locator('[data-testid="withdraw-form"]').waitFor({ state: 'attached' });
  });
});

test('a member of the team sees the team notice, in the list and the badge', { timeout: T }, async () => {
  await withPage('notices-team-member-1280', desktop, async (page) => {
    await logInAs(page, volunteer, '/announcements');
    await page.goto(`${env.base}/announcements?lang=en`);
    const item = page.locator(`[data-testid="notice-list"] li[data-id="${team.id}"]`);
    assert.match(await item.textContent(), /For 红色骑手志愿队/);
    assert.match(await item.textContent(), /Unread/);
    await page.locator('[data-testid="menu-unread"]').waitFor({ state: 'attached' });
    await noSidewaysScroll(page, 'a member\'s notice list');
    await item.getByRole('link').click();
    await page.locator('[data-testid="notice"]').waitFor();
    assert.equal(await page.locator('[data-testid="withdraw-form"]').count(), 0, 'a member may not withdraw');
    // The member finds it by the search too (the search asks the
    // volunteer service for the member's teams).
    await page.goto(`${env.base}/search?q=${encodeURIComponent('骑手驿站')}&kind=notice&lang=en`);
    await page.locator(`a[href="/announcements/${team.id}"]`).first().waitFor();
    await noSidewaysScroll(page, 'a member\'s search finding the team notice');
  });
});

test('a resident of the community, not of the team, does not see it', { timeout: T }, async () => {
  await withPage('notices-team-nonmember-360', phone, async (page) => {
    await logInAs(page, resident, '/announcements');
    await page.goto(`${env.base}/announcements?lang=zh-CN`);
    assert.equal(await page.locator(`[data-testid="notice-list"] li[data-id="${team.id}"]`).count(), 0);
    assert.doesNotMatch(await page.locator('main').textContent(), new RegExp(team.title));
    const res = await page.goto(`${env.base}/announcements/${team.id}?lang=zh-CN`);
    assert.equal(res.status(), 404);
    await page.goto(`${env.base}/search?q=${encodeURIComponent('集合')}&lang=zh-CN`);
    assert.equal(await page.locator(`a[href="/announcements/${team.id}"]`).count(), 0, 'the search does not leak it');
  }, { expectStatuses: [404] });
});

test('staff withdraw the team notice with a reason; it leaves the member\'s list', { timeout: T }, async () => {
  await withPage('notices-withdraw-elder-360', phone, async (page) => {
    await logInAs(page, staff, `/announcements/${team.id}`);
    await page.goto(`${env.base}/announcements/${team.id}?lang=zh-CN&elder=1`);
    await page.locator('.notice-withdraw summary').click();
    await page.locator('#ntc-withdraw-reason').fill('集合时间改了，另行通知');
    await noSidewaysScroll(page, 'notice page with the withdraw form, elderly mode');
    await noSeriousViolations(page, 'notice page with the withdraw form');
    await Promise.all([page.waitForURL(/done=withdrawn/), page.getByRole('button', { name: '撤回本通知' }).click()]);
    assert.match(await page.locator('[data-testid="withdrawn"]').textContent(), /已于 .* 撤回：集合时间改了，另行通知/);
    assert.equal(await page.locator('[data-testid="withdraw-form"]').count(), 0);
  });
  await withPage('notices-withdrawn-member-360', phone, async (page) => {
    await logInAs(page, volunteer, '/announcements');
    await page.goto(`${env.base}/announcements?lang=zh-CN`);
    assert.equal(await page.locator(`[data-testid="notice-list"] li[data-id="${team.id}"]`).count(), 0, 'gone from the list');
    await page.goto(`${env.base}/announcements/${team.id}?lang=en`);
    assert.match(await page.locator('[data-testid="withdrawn"]').textContent(), /withdrawn at .*集合时间改了/);
    await noSidewaysScroll(page, 'a withdrawn notice');
  });
});
