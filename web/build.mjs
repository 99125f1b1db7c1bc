// Builds the web UI into static files for `autoarr serve` (docs/ui.md):
//   node build.mjs OUT_DIR
// - esbuild bundles src/main.jsx (Preact) with code splitting, minified;
// - every file but index.html gets a content hash in its name, under assets/,
//   so the server can let browsers keep it for a year (immutable);
// - index.html loads them with no inline script or style (the server's
//   Content-Security-Policy allows none);
// - each text file gets precompressed .br and .gz copies beside it;
// - the first load (index.html, the entry script and style, and what they
//   import statically) must stay under 150 KB compressed, or the build fails.
// It writes to OUT_DIR.tmp and renames, so a failed build leaves the old one.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const outArg = process.argv[2];
if (!outArg) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}
const out = path.resolve(outArg);
const tmp = `${out}.tmp`;
const FIRST_LOAD_BUDGET = 150 * 1024;

fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(path.join(tmp, 'assets'), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/main.jsx'],
  bundle: true,
  splitting: true,
  format: 'esm',
  outdir: path.join(tmp, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  publicPath: '/assets',
  minify: true,
  metafile: true,
  sourcemap: false,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  target: ['chrome109', 'firefox115', 'safari15.6'],
  logLevel: 'warning',
});

const outputs = result.metafile.outputs;
const rel = (p) => path.relative(tmp, path.resolve(here, p)).split(path.sep).join('/');
const [entryPath, entry] = Object.entries(outputs).find(([, o]) => o.entryPoint === 'src/main.jsx');

// The favicon, hashed like everything else.
const icon = fs.readFileSync(path.join(here, 'src/favicon.svg'));
const iconName = `assets/favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
fs.writeFileSync(path.join(tmp, iconName), icon);

const template = fs.readFileSync(path.join(here, 'index.html'), 'utf8');
const html = template
  .replace('%ICON%', `/${iconName}`)
  .replace('%STYLE%', entry.cssBundle ? `<link rel="stylesheet" href="/${rel(entry.cssBundle)}">` : '')
  .replace('%SCRIPT%', `<script type="module" src="/${rel(entryPath)}"></script>`);
if (/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=|\son\w+=/i.test(html))
  throw new Error('index.html has an inline script, style or handler: the Content-Security-Policy forbids it');
fs.writeFileSync(path.join(tmp, 'index.html'), html);

// Precompressed copies of every text file.
const compressible = /\.(html|js|css|svg|json|txt)$/;
const files = [];
for (const name of fs.readdirSync(tmp, { recursive: true })) {
  const full = path.join(tmp, name);
  if (!fs.statSync(full).isFile() || !compressible.test(name)) continue;
  const bytes = fs.readFileSync(full);
  const gz = zlib.gzipSync(bytes, { level: 9 });
  const br = zlib.brotliCompressSync(bytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  fs.writeFileSync(`${full}.gz`, gz);
  fs.writeFileSync(`${full}.br`, br);
  files.push({ name: name.split(path.sep).join('/'), raw: bytes.length, gz: gz.length, br: br.length });
}

// The first load: the shell, the icon, the entry's script and style, and its static imports.
const firstLoad = new Set(['index.html', iconName, rel(entryPath)]);
if (entry.cssBundle) firstLoad.add(rel(entry.cssBundle));
const visit = (p) => {
  for (const imp of outputs[p]?.imports ?? [])
    if (imp.kind === 'import-statement' && !firstLoad.has(rel(imp.path))) {
      firstLoad.add(rel(imp.path));
      visit(imp.path);
    }
};
visit(entryPath);
const firstLoadGz = files.filter((f) => firstLoad.has(f.name)).reduce((n, f) => n + f.gz, 0);

for (const f of files.sort((a, b) => a.name.localeCompare(b.name)))
  console.log(`web: ${f.name.padEnd(40)} ${String(f.raw).padStart(7)} B, gzip ${String(f.gz).padStart(6)} B`);
console.log(`web: first load ${(firstLoadGz / 1024).toFixed(1)} KB gzip (budget ${FIRST_LOAD_BUDGET / 1024} KB)`);
if (firstLoadGz > FIRST_LOAD_BUDGET) {
  console.error(`web: the first load is over its budget of ${FIRST_LOAD_BUDGET / 1024} KB compressed; ${out} is unchanged`);
  process.exit(1);
}
fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(tmp, out);
console.log(`web: built ${out}`);
