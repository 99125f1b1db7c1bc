// What the browser tests run against: the real `autoarr serve` (the built
// binary, its built web UI, the sample stack), the simulated Ollama
// (tests/support/ollama_sim.h) as a process, and Debian's Chromium driven by
// playwright-core (nothing downloaded). Paths come from ctest's environment.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this test through ctest (web_ui_in_chromium)`);
  return v;
};

export const env = {
  binary: need('AUTOARR_BINARY'),
  ollamaSim: need('OLLAMA_SIM_SERVER'),
  sampleStack: need('AUTOARR_SAMPLE_STACK'),
  webDir: need('AUTOARR_WEB_BUILD_DIR'),
  artifacts: process.env.AUTOARR_TEST_ARTIFACTS || path.join(os.tmpdir(), 'autoarr-web-artifacts'),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
};
fs.mkdirSync(env.artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The simulated Ollama: explains the sample stack batch by batch, and
// streams a chat answer token by token.
export async function startOllama({ generatedTokensPerS = 6000, streamedTokensPerS = 40 } = {}) {
  const child = spawn(env.ollamaSim, ['--generated-tokens-per-s', String(generatedTokensPerS),
    '--streamed-tokens-per-s', String(streamedTokensPerS), '--context', '4096'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (l) => resolve(Number(l)));
    child.once('error', (e) => reject(new Error(`cannot start ${env.ollamaSim}: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`ollama_sim_server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.stdin.end() };
}

// `autoarr serve` on a free loopback port with a fresh database.
export async function startServe({ ollamaUrl, token, extraEnv = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoarr-web-'));
  const port = await freePort();
  const log = path.join(dir, 'serve.log');
  const out = fs.openSync(log, 'w');
  const childEnv = { ...process.env, LLM_PROVIDER: 'ollama', OLLAMA_MODEL: 'qwen2.5:7b',
    OLLAMA_URL: ollamaUrl || 'http://127.0.0.1:1', ...extraEnv };
  delete childEnv.AUTOARR_API_TOKEN;
  if (token) childEnv.AUTOARR_API_TOKEN = token;
  const child = spawn(env.binary, ['--log-level', 'info', 'serve', '--listen', `127.0.0.1:${port}`,
    '--db', path.join(dir, 'autoarr.db'), '--sample-stack', env.sampleStack, '--web-dir', env.webDir,
    '--health-interval', '1'], { env: childEnv, stdio: ['ignore', out, out] });
  let spawnError = null;
  child.once('error', (e) => { spawnError = e; });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 15000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (spawnError) throw new Error(`cannot start ${env.binary}: ${spawnError.message}`);
    if (Date.now() > until || child.exitCode !== null)
      throw new Error(`autoarr serve did not become ready: ${fs.readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return {
    url,
    log: () => fs.readFileSync(log, 'utf8'),
    // A call made as a script would, for setting up a test (not through the page).
    api: async (p, { method = 'GET', body } = {}) => {
      const r = await fetch(url + p, { method, headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined });
      const text = await r.text();
      return { status: r.status, json: text ? JSON.parse(text) : null, headers: r.headers };
    },
    stop: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: env.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

// A page that records console errors, uncaught exceptions and every request
// it makes (to check that nothing leaves the origin and no URL carries a token).
export async function openPage(browser, { viewport = DESKTOP, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  return { context, page, problems, requests };
}

// The whole page, or the first screen of a long one (an audit's 91 findings).
export async function screenshot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: path.join(env.artifacts, `${name}.png`), fullPage });
}

// A real SABnzbd (Debian's sabnzbdplus) on loopback with a fresh config, for
// the fixes: they write to it through its own API, and the test reads back.
export async function startSabnzbd() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoarr-sab-'));
  const port = await freePort();
  const key = '0123456789abcdef0123456789abcdef';
  const ini = path.join(dir, 'sabnzbd.ini');
  fs.writeFileSync(ini, `[misc]\napi_key = ${key}\nnzb_key = fedcba9876543210fedcba9876543210\nhost = 127.0.0.1\n`
    + `port = ${port}\ndownload_dir = ${dir}/incomplete\ncomplete_dir = ${dir}/complete\n`);
  const out = fs.openSync(path.join(dir, 'sabnzbd.log'), 'w');
  const child = spawn('sabnzbdplus', ['-f', ini, '-s', `127.0.0.1:${port}`, '-b', '0'], { stdio: ['ignore', out, out] });
  let spawnError = null;
  child.once('error', (e) => { spawnError = e; });
  const url = `http://127.0.0.1:${port}`;
  const call = async (query) => (await fetch(`${url}/api?${query}&output=json&apikey=${key}`)).json();
  const until = Date.now() + 30000;
  for (;;) {
    try {
      if ((await call('mode=version')).version) break;
    } catch {
      // not up yet
    }
    if (spawnError) throw new Error(`cannot start sabnzbdplus (scripts/setup.sh installs it): ${spawnError.message}`);
    if (Date.now() > until || child.exitCode !== null)
      throw new Error(`SABnzbd did not start: ${fs.readFileSync(path.join(dir, 'sabnzbd.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    key,
    get: async (section, keyword) => String((await call(`mode=get_config&section=${section}`)).config[section][keyword]),
    set: async (section, keyword, value) => call(`mode=set_config&section=${section}&keyword=${keyword}&value=${value}`),
    stop: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}
