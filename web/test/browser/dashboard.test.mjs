// The dashboard in a real Chromium against a real `autoarr serve` with the
// sample stack and the simulated Ollama (docs/ui.md, "Tests").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DESKTOP, PHONE, launchBrowser, openPage, screenshot, startOllama, startSabnzbd, startServe } from './harness.mjs';

const VIEWS = [
  ['/', 'Overview'],
  ['/audits/latest', 'Audit'],
  ['/history', 'History'],
  ['/providers', 'Providers and plugins'],
  ['/fixes', 'Fixes'],
  ['/chat', 'Chat'],
  ['/no/such/view', 'Not found'],
];

let ollama;
let serve;
let browser;

before(async () => {
  ollama = await startOllama();
  serve = await startServe({ ollamaUrl: ollama.url });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  ollama?.stop();
});

// Every control a person fills in has a label a screen reader reads.
async function unlabelledControls(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 80)));
}

describe('the dashboard', () => {
  test('an audit run from the overview fills its explanations in as they arrive (first: the explanation cache is empty)', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/');
    await page.getByRole('button', { name: 'Run audit now' }).click();
    await page.waitForURL(/\/audits\/[^/]+$/);
    // Watch the count of explained findings from inside the page, as it changes.
    await page.evaluate(() => {
      window.seen = [];
      const count = () => [...document.querySelectorAll('.finding .explanation')]
        .filter((d) => d.firstChild && d.firstChild.nodeType === Node.TEXT_NODE).length;
      window.seen.push(count());
      new MutationObserver(() => {
        const n = count();
        if (n !== window.seen[window.seen.length - 1]) window.seen.push(n);
      }).observe(document.getElementById('main'), { subtree: true, childList: true, characterData: true });
    });
    await page.getByText('Explained 91 of 91').waitFor({ timeout: 60000 });
    const seen = await page.evaluate(() => window.seen);
    assert.ok(seen.some((n) => n > 0 && n < 91), `no partial state was seen: ${seen}`);
    assert.equal(seen[seen.length - 1], 91);
    assert.ok(seen.length >= 3, `the explanations did not arrive batch by batch: ${seen}`);
    await page.getByText('Explaining…').first().waitFor({ state: 'detached' });
    await screenshot(page, 'audit-explained-desktop', { fullPage: false });
    // The stored audit is the one shown, and a reload keeps the view.
    const id = new URL(page.url()).pathname.split('/').pop();
    const stored = await serve.api(`/api/v1/audits/${id}`);
    assert.equal(stored.json.enrichment.state, 'complete');
    await page.reload();
    await page.getByText('Explained 91 of 91').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('every view loads from its own path, with no console error, at desktop and phone width', async () => {
    for (const [viewport, label] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
      for (const scheme of label === 'desktop' ? ['light', 'dark'] : ['light']) {
        const { context, page, problems, requests } = await openPage(browser, { viewport, colorScheme: scheme });
        for (const [path, title] of VIEWS) {
          const response = await page.goto(serve.url + path);
          assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
          assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
          await page.getByRole('heading', { level: 1, name: new RegExp(`^${title}`) }).waitFor();
          await page.waitForFunction(() => !document.getElementById('main').textContent.includes('Loading…'));
          assert.deepEqual(await unlabelledControls(page), [], `${path}: controls without a label`);
          const name = path === '/' ? 'overview' : path.slice(1).replaceAll('/', '-');
          await screenshot(page, `${name}-${label}${scheme === 'dark' ? '-dark' : ''}`, { fullPage: !path.startsWith('/audits') });
          // Usable at phone width: nothing wider than the screen but what scrolls on its own.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
          assert.ok(overflow <= 1, `${path} at ${label} is ${overflow}px wider than the screen`);
        }
        assert.deepEqual(problems, []);
        const outside = requests.filter((u) => !u.startsWith(serve.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
        assert.deepEqual(outside, [], 'the page reached beyond its own origin (it must work offline)');
        await context.close();
      }
    }
  });

  test('the first load is under 150 KB compressed, and assets are cached as their names say', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(serve.url + '/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const bytes = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const scripts = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/api/'));
      return nav.encodedBodySize + scripts.reduce((n, r) => n + r.encodedBodySize, 0);
    });
    assert.ok(bytes > 1000 && bytes < 150 * 1024, `the first load took ${bytes} bytes`);
    const html = await fetch(serve.url + '/', { headers: { 'Accept-Encoding': 'br, gzip' } });
    assert.equal(html.headers.get('cache-control'), 'no-cache');
    assert.equal(html.headers.get('content-encoding'), 'br');
    const script = (await html.text()).match(/src="(\/assets\/main-[A-Z0-9]+\.js)"/)[1];
    const js = await fetch(serve.url + script, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.match(js.headers.get('cache-control'), /immutable/);
    assert.equal(js.headers.get('content-encoding'), 'gzip');
    await context.close();
  });

  test('the skip link and the navigation work from the keyboard', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.keyboard.press('Tab');  // the brand link
    await page.keyboard.press('Tab');  // Overview
    await page.keyboard.press('Tab');  // Audit
    await page.keyboard.press('Tab');  // History
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/history');
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('filters and search narrow the findings, and the URL keeps them', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/audits/latest');
    const shown = page.getByTestId('shown');
    await shown.filter({ hasText: 'Showing 91 of 91' }).waitFor();
    await page.getByLabel('Search findings').fill('SAB-SEC-01');
    await shown.filter({ hasText: 'Showing 1 of 91' }).waitFor();
    assert.equal(await page.locator('.finding').count(), 1);
    await page.getByLabel('Search findings').fill('');
    await page.getByLabel('Application', { exact: true }).selectOption('radarr');
    const radarr = Number((await shown.textContent()).match(/Showing (\d+)/)[1]);
    assert.ok(radarr > 0 && radarr < 91);
    assert.equal(await page.getByRole('heading', { level: 2, name: 'Sonarr' }).count(), 0);
    await page.getByRole('checkbox', { name: /^critical/ }).uncheck();
    const withoutCritical = Number((await shown.textContent()).match(/Showing (\d+)/)[1]);
    assert.ok(withoutCritical < radarr);
    assert.equal(await page.locator('.finding .sev-critical').count(), 0);
    await page.reload();  // the filters are in the URL
    await shown.filter({ hasText: `Showing ${withoutCritical} of 91` }).waitFor();
    assert.equal(await page.getByLabel('Application', { exact: true }).inputValue(), 'radarr');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an audit exports as Markdown and as JSON', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/audits/latest');
    await page.getByTestId('shown').filter({ hasText: 'of 91' }).waitFor();
    const id = (await page.locator('#audit-title small').textContent()).trim();
    const [md] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Markdown' }).click()]);
    const markdown = fs.readFileSync(await md.path(), 'utf8');
    assert.equal(md.suggestedFilename(), `autoarr-audit-${id}.md`);
    assert.match(markdown, /^# AutoArr audit\n/);
    assert.match(markdown, /\| critical \| SAB-SEC-01 \|/);
    const [js] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const report = JSON.parse(fs.readFileSync(await js.path(), 'utf8'));
    assert.equal(report.audit_id, id);
    assert.equal(report.findings.length, 91);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the history plots the audits and shows what changed between two', async () => {
    // A second audit of SABnzbd alone: every Sonarr and Radarr finding is "fixed" in it.
    const sab = {};
    for (const f of fs.readdirSync(`${process.env.AUTOARR_SAMPLE_STACK}/sabnzbd`))
      sab[f.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(`${process.env.AUTOARR_SAMPLE_STACK}/sabnzbd/${f}`, 'utf8'));
    const before = (await serve.api('/api/v1/audits?limit=1')).json.audits[0];
    const partial = await serve.api('/api/v1/audits', { method: 'POST', body: { documents: { sabnzbd: sab } } });
    assert.equal(partial.status, 201);
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/history');
    await page.locator('[data-testid="history-plot"] canvas').waitFor();
    const legend = await page.locator('.u-legend').textContent();
    for (const s of ['Score', 'Critical', 'High', 'Medium', 'Low']) assert.ok(legend.includes(s), `no ${s} in the plot`);
    await page.getByLabel('From', { exact: true }).selectOption(before.audit_id);
    await page.getByLabel('To', { exact: true }).selectOption(partial.json.audit_id);
    await page.getByTestId('diff-fixed').waitFor();
    const fixed = Number(await page.getByTestId('diff-fixed').textContent());
    const unchanged = Number(await page.getByTestId('diff-unchanged').textContent());
    assert.equal(Number(await page.getByTestId('diff-new').textContent()), 0);
    assert.equal(unchanged, partial.json.findings.length);
    assert.equal(fixed, before.findings - unchanged);
    assert.ok(fixed > 0);
    await screenshot(page, 'history-diff-desktop');
    await page.reload();  // the pair is in the URL
    await page.getByTestId('diff-fixed').filter({ hasText: String(fixed) }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('providers show their routing state, "Check now" checks, and plugins say why they loaded or not', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/providers');
    const row = page.locator('tr[data-provider="ollama"]');
    await row.getByText('healthy').waitFor();
    assert.match(await row.textContent(), /qwen2\.5:7b/);
    await row.getByRole('button', { name: 'Check ollama now' }).click();
    await row.getByRole('button', { name: 'Check ollama now' }).filter({ hasText: 'Check now' }).waitFor();
    assert.match(await row.textContent(), /healthy/);
    assert.match(await page.locator('tr[data-provider="claude"]').textContent(), /claude/);
    for (const id of ['ollama', 'claude'])
      assert.match(await page.locator(`tr[data-plugin="${id}"]`).textContent(), /loaded/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a chat answer streams in token by token', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(serve.url + '/chat');
    await page.getByLabel('Provider').selectOption('ollama');
    await page.getByLabel('Message').fill('How do I protect the SABnzbd API?');
    await page.evaluate(() => {
      window.lengths = [];
      new MutationObserver(() => {
        const a = document.querySelector('[data-testid="answer"]');
        if (a) window.lengths.push(a.textContent.length);
      }).observe(document.getElementById('main'), { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText(/ollama · qwen2\.5:7b · stop/).waitFor({ timeout: 30000 });
    const answer = await page.getByTestId('answer').textContent();
    assert.match(answer, /^You asked: "How do I protect the SABnzbd API\?"/);
    const lengths = await page.evaluate(() => [...new Set(window.lengths)]);
    assert.ok(lengths.filter((n) => n > 1 && n < answer.length).length >= 5, `the answer did not stream: ${lengths}`);
    await screenshot(page, 'chat-desktop');
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('with AUTOARR_API_TOKEN set', () => {
  const TOKEN = 'browser-test-token-5f1c2e9a';
  let guarded;
  before(async () => {
    guarded = await startServe({ ollamaUrl: ollama.url, token: TOKEN });
  });
  after(async () => guarded?.stop());

  test('the page asks for the token once, refuses a wrong one, and never puts it in a URL', async () => {
    const { context, page, problems, requests } = await openPage(browser);
    await page.goto(guarded.url + '/providers');
    const dialog = page.getByRole('dialog', { name: 'API token' });
    await dialog.waitFor();
    await screenshot(page, 'token-prompt-desktop');
    await dialog.getByLabel('Token').fill('not-the-token');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByText('The server refused this token.').waitFor();
    await dialog.getByLabel('Token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.waitFor({ state: 'detached' });
    // A mutating action with the token: "Check now" is a POST.
    const row = page.locator('tr[data-provider="ollama"]');
    await row.getByText('healthy').waitFor();
    await row.getByRole('button', { name: 'Check ollama now' }).click();
    await row.getByRole('button', { name: 'Check ollama now' }).filter({ hasText: 'Check now' }).waitFor();
    // Kept for the session: a reload and another view do not ask again.
    await page.reload();
    await row.getByText('healthy').waitFor();
    assert.equal(await dialog.count(), 0);
    assert.ok(requests.every((u) => !u.includes(TOKEN)), 'the token was put in a URL');
    assert.equal(await page.evaluate(() => JSON.stringify(localStorage).includes('browser-test-token')), false);
    assert.ok(!guarded.log().includes(TOKEN), 'the token reached the server log');
    // Only the 401s of the wrong token and of the first load were reported.
    assert.ok(problems.every((p) => /401/.test(p)), problems.join('\n'));
    await context.close();
    // A new browser session asks again.
    const second = await openPage(browser);
    await second.page.goto(guarded.url + '/');
    await second.page.getByRole('dialog', { name: 'API token' }).waitFor();
    await second.context.close();
  });

  test('without the token a mutating call is refused, as the API says', async () => {
    const r = await fetch(guarded.url + '/api/v1/providers/ollama/check', { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).error.code, 'unauthorized');
    const shell = await fetch(guarded.url + '/history');
    assert.equal(shell.status, 200, 'the page itself must load, to ask for the token');
  });
});

describe('fixes, against a real SABnzbd', () => {
  const TOKEN = 'browser-test-fixes-token-77d0';
  let sab;
  let guarded;
  before(async () => {
    sab = await startSabnzbd();
    await sab.set('misc', 'safe_postproc', '0');  // SAB-REL-01
    await sab.set('misc', 'pre_check', '1');      // SAB-PERF-03
    guarded = await startServe({ ollamaUrl: ollama.url, token: TOKEN,
      extraEnv: { SABNZBD_URL: sab.url, SABNZBD_API_KEY: sab.key } });
    const audit = await guarded.api('/api/v1/audits', { method: 'POST', body: { source: 'live' } });
    assert.equal(audit.status, 201, JSON.stringify(audit.json));
  });
  after(async () => {
    await guarded?.stop();
    await sab?.stop();
  });

  test('a dry run shows the changes, the selected ones are applied, and the change set rolls back', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(guarded.url + '/fixes');
    const dialog = page.getByRole('dialog', { name: 'API token' });
    await dialog.getByLabel('Token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Preview fixes (dry run)' }).click();
    await page.getByTestId('dry-run-summary').waitFor();
    const rel = page.getByRole('checkbox', { name: /^Apply SAB-REL-01 / });
    const perf = page.getByRole('checkbox', { name: /^Apply SAB-PERF-03 / });
    assert.ok(await rel.isChecked());
    assert.ok(await perf.isChecked());
    assert.match(await page.locator('tr', { has: rel }).textContent(), /safe_postproc.*0.*1/);
    await screenshot(page, 'fixes-dry-run-desktop');
    assert.equal(await sab.get('misc', 'safe_postproc'), '0', 'the dry run wrote to SABnzbd');

    await perf.uncheck();
    await page.getByRole('button', { name: /^Apply \d+ selected fix/ }).click();
    const result = page.getByTestId('apply-result');
    await result.waitFor({ timeout: 60000 });
    assert.match(await result.getByTestId('fixed').textContent(), /SAB-REL-01/);
    assert.doesNotMatch(await result.getByTestId('fixed').textContent(), /SAB-PERF-03/);
    assert.equal(await sab.get('misc', 'safe_postproc'), '1');
    assert.equal(await sab.get('misc', 'pre_check'), '1', 'an unselected fix was applied');
    await screenshot(page, 'fixes-applied-desktop');

    const id = (await result.locator('code').first().textContent()).trim();
    const row = page.locator(`tr[data-change="${id}"]`);
    await row.getByRole('button', { name: `Roll back change set ${id}` }).click();
    await page.getByTestId('rollback-result').filter({ hasText: 'rolled_back' }).waitFor({ timeout: 60000 });
    assert.equal(await sab.get('misc', 'safe_postproc'), '0');
    await row.getByText('rolled_back').waitFor();
    assert.deepEqual(problems.filter((p) => !/401/.test(p)), []);
    await context.close();
  });
});
