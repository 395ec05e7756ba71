'use strict';
/** `npm start` builds the package when dist/ is missing or older than the sources. */
const fs = require('node:fs');
const path = require('node:path');
const { REPO_DIR } = require('../n8n/paths');
const { run } = require('../n8n/processes');

function newestMtime(dir, filter) {
	let newest = 0;
	if (!fs.existsSync(dir)) return newest;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, filter));
		else if (filter(p)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
	}
	return newest;
}

/** allowBuild false (--no-build): only warn about an old dist/, fail on a missing one. */
async function ensureBuilt({ allowBuild, say }) {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'package.json'), 'utf8'));
	const outputs = [...((pkg.n8n && pkg.n8n.nodes) || []), ...((pkg.n8n && pkg.n8n.credentials) || []), 'dist/lib/cli/main.js', 'dist/lib/config.js'].map((f) =>
		path.join(REPO_DIR, f),
	);
	const missing = outputs.filter((f) => !fs.existsSync(f));
	const srcNewest = Math.max(
		...['lib', 'nodes', 'credentials'].map((d) => newestMtime(path.join(REPO_DIR, d), (p) => /\.(ts|json|sql|svg)$/.test(p) && !p.endsWith('.d.ts'))),
	);
	const distOldest = missing.length ? 0 : Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
	if (!missing.length && distOldest >= srcNewest) return;
	if (!allowBuild) {
		if (missing.length) throw new Error(`dist/ is incomplete (${missing.map((f) => path.relative(REPO_DIR, f)).join(', ')}); run npm run build`);
		say('warning: dist/ is older than the sources (--no-build given)');
		return;
	}
	say(missing.length ? 'dist/ missing: building (npm run build) ...' : 'sources changed since the last build: building (npm run build) ...');
	const t = Date.now();
	await run('npm', ['run', 'build'], { cwd: REPO_DIR, label: 'npm run build' });
	say(`built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

module.exports = { ensureBuilt };
