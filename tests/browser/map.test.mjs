// Browser tests of the map page: a real civicgrid demo server, Debian's
// chromium driven by playwright-core. Run with `node --test tests/browser/`
// after `make build` and scripts/install-browser-deps.sh. Screenshots go to
// test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations } from './harness.mjs';

setup();

// openMap loads the map page and waits until every grid is drawn.
async function openMap(page, query = '') {
  await page.goto(`${env.base}/${query}`, { waitUntil: 'networkidle' });
  await page.waitForSelector('#map[data-state="ready"]');
  await page.waitForFunction(() => document.querySelectorAll('#map svg path[data-code]').length >= 400);
}

// gridOnScreen finds a point of the map, near its centre, where a grid is
// the topmost thing, and returns the point and that grid's code.
async function gridOnScreen(page) {
  const hit = await page.evaluate(() => {
    const r = document.getElementById('map').getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    for (let d = 0; d < Math.min(r.width, r.height) / 2; d += 7) {
      for (const [dx, dy] of [[0, 0], [d, 0], [-d, 0], [0, d], [0, -d], [d, d], [-d, -d]]) {
        const x = cx + dx, y = cy + dy;
        const el = document.elementFromPoint(x, y);
        const code = el && el.closest('path[data-code]') && el.getAttribute('data-code');
        if (code) return { x, y, code };
      }
    }
    return null;
  });
  assert.ok(hit, 'no grid found on screen');
  return hit;
}

async function getJSON(url) {
  const res = await fetch(env.base + url);
  assert.equal(res.status, 200, `GET ${url}`);
  return res.json();
}

const codeRE = /^\d{15}$/;

test('the map draws every grid and a clicked grid opens its panel (1280×800, zh-CN)', { timeout: T }, async () => {
  await withPage('map-1280-zh', { width: 1280, height: 800 }, async (page) => {
    await openMap(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.ok(await page.locator('#map svg path').count() >= 400, 'fewer than 400 paths');
    assert.match(await page.locator('h1').innerText(), /网格地图/);
    await page.locator('[data-testid="grid-panel"]').waitFor({ state: 'visible' });

    const { x, y, code } = await gridOnScreen(page);
    assert.match(code, codeRE);
    await page.mouse.click(x, y);
    const shown = page.locator('[data-testid="grid-panel"] [data-testid="grid-code"]');
    await shown.waitFor();
    assert.equal((await shown.innerText()).trim(), code);

    // Ancestors come from the API; the panel shows the grid's community.
    const area = await getJSON(`/api/v1/areas/${code}`);
    const community = area.ancestors.find((a) => a.level === 'community');
    assert.ok(community, 'grid without community');
    await page.locator('[data-testid="grid-panel"]', { hasText: community.name }).waitFor();
    const panelText = await page.locator('[data-testid="grid-panel"]').innerText();
    for (const w of area.workers || []) {
      assert.match(w.phone, /^\d{3}\*{4}\d{4}$/, 'API phone not masked');
      assert.ok(panelText.includes(w.phone), `panel lacks worker phone ${w.phone}`);
    }
    assert.ok(!/(?<!\d)1\d{10}(?!\d)/.test(panelText), 'an unmasked phone number is shown');
    const details = page.locator('[data-testid="grid-panel"] a[href="/grids/' + code + '"]');
    assert.equal(await details.count(), 1, 'no link to the grid page');
  });
});

test('switching to English shows English text and is remembered', { timeout: T }, async () => {
  await withPage('map-1280-en', { width: 1280, height: 800 }, async (page) => {
    await openMap(page);
    await Promise.all([page.waitForURL(/lang=en/), page.locator('a[data-lang-switch][lang="en"]').click()]);
    await page.waitForSelector('#map[data-state="ready"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.locator('h1').innerText(), /grid map/);
    await page.getByRole('heading', { name: 'Find a grid by code' }).waitFor();
    await page.getByText('Browse by district').waitFor();

    // The cookie keeps English without ?lang=.
    await openMap(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    const { x, y, code } = await gridOnScreen(page);
    await page.mouse.click(x, y);
    await page.locator('[data-testid="grid-panel"]', { hasText: 'Grid code' }).waitFor();
    assert.equal((await page.locator('[data-testid="grid-code"]').innerText()).trim(), code);
  });
});

test('find a grid by code: with the script, and through the form target', { timeout: T }, async () => {
  const fc = await getJSON('/api/v1/areas.geojson?level=grid');
  assert.ok(fc.features.length >= 400, `only ${fc.features.length} grids`);
  const target = fc.features[Math.floor(fc.features.length * 0.37)].properties.code;
  assert.match(target, codeRE);

  await withPage('find-1280-zh', { width: 1280, height: 800 }, async (page) => {
    await openMap(page);
    const input = page.getByLabel('网格编码');
    await input.fill(target.slice(0, 6) + ' ' + target.slice(6)); // spaces are forgiven
    await input.press('Enter');
    await page.locator('[data-testid="grid-code"]', { hasText: target }).waitFor();
    assert.equal(await page.locator(`#map path[data-code="${target}"]`).count(), 1);
    assert.match(page.url(), new RegExp(`#code=${target}$`));

    await input.fill('420102999999999');
    await input.press('Enter');
    await page.locator('#find-error', { hasText: '420102999999999' }).waitFor();
    assert.equal(await input.getAttribute('aria-invalid'), 'true');

    await input.fill('12ab');
    await input.press('Enter');
    await page.locator('#find-error', { hasText: '不是有效的编码' }).waitFor();
  });

  await withPage('grid-page-zh', { width: 1280, height: 800 }, async (page) => {
    // Without the script the form goes to /find, which redirects.
    await page.goto(`${env.base}/find?code=${target}`, { waitUntil: 'networkidle' });
    assert.ok(page.url().endsWith(`/grids/${target}`), page.url());
    assert.equal((await page.locator('[data-testid="area-code"]').innerText()).trim(), target);
    const text = await page.locator('main').innerText();
    assert.ok(!/(?<!\d)1\d{10}(?!\d)/.test(text), 'an unmasked phone number is shown');
    const res = await page.goto(`${env.base}/find?code=420102999999999`);
    assert.equal(res.status(), 404);
    await page.locator('#find-error', { hasText: '420102999999999' }).waitFor();
  });
});

test('the map works on a 360×740 phone screen', { timeout: T }, async () => {
  await withPage('map-360-zh', { width: 360, height: 740 }, async (page) => {
    await openMap(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.locator('#find-code').waitFor({ state: 'visible' });
    const { x, y, code } = await gridOnScreen(page);
    await page.mouse.click(x, y);
    const shown = page.locator('[data-testid="grid-code"]');
    await shown.waitFor({ state: 'visible' });
    assert.equal((await shown.innerText()).trim(), code);
    assert.ok(await shown.isVisible());
  });
});

for (const lang of ['zh-CN', 'en']) {
  test(`no serious accessibility violations on the map page (${lang})`, { timeout: T }, async () => {
    await withPage(`axe-map-${lang}`, { width: 1280, height: 800 }, async (page) => {
      await openMap(page, `?lang=${lang}`);
      const { x, y } = await gridOnScreen(page);
      await page.mouse.click(x, y); // check the panel too
      await page.locator('[data-testid="grid-code"]').waitFor();
      await page.waitForLoadState('networkidle');
      const vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
    });
  });
}

test('no serious accessibility violations on a grid page', { timeout: T }, async () => {
  const fc = await getJSON('/api/v1/areas.geojson?level=grid');
  const code = fc.features[0].properties.code;
  await withPage('axe-grid-page', { width: 360, height: 740 }, async (page) => {
    await page.goto(`${env.base}/grids/${code}`, { waitUntil: 'networkidle' });
    const vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
  });
});
