'use strict';
/**
 * The package as users get it: `npm pack`, installed the way n8n's Community Nodes installer does
 * (into <userFolder>/.n8n/nodes, production dependencies only; scripts/n8n/communityPackage.js),
 * loaded by real n8n 2.40.7. n8n must log no error for it, load every node and credential that
 * package.json lists, and every node's subtitle must render, with default parameters, the way the
 * editor renders it on the canvas — without "undefined".
 *
 * Nodes and credentials come from package.json, so new ones are checked without editing this file.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rt = require('../../scripts/n8n');
const { e2ePostgres } = require('../support/e2e-harness');

const REPO = rt.REPO_DIR;
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

/** { file, name, displayName, icons[] } of each built node or credential listed in package.json. */
function listed(kind) {
	return (PKG.n8n[kind] || []).map((file) => {
		const className = path.basename(file).split('.')[0];
		const loaded = new (require(path.join(REPO, file))[className])();
		const description = kind === 'nodes' ? loaded.description : loaded;
		const icon = description.icon;
		const iconFiles = [icon && icon.light, icon && icon.dark, typeof icon === 'string' ? icon : undefined]
			.filter((i) => typeof i === 'string' && i.startsWith('file:'))
			.map((i) => path.posix.normalize(path.posix.join(path.posix.dirname(file), i.slice('file:'.length))));
		return { file, name: description.name, displayName: description.displayName, iconFiles };
	});
}

let nodes;
let credentials;
let work;
let tarballFiles;
let installedDir;
let pg;
let n8nDb;
let server;
let log = '';
let nodeTypes;
let credentialTypes;
let runtime;

beforeAll(async () => {
	for (const f of [...PKG.n8n.nodes, ...PKG.n8n.credentials]) {
		if (!fs.existsSync(path.join(REPO, f))) throw new Error(`Build the package first (npm run build); missing ${f}`);
	}
	nodes = listed('nodes');
	credentials = listed('credentials');
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-packed-'));
	const packed = await rt.run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: REPO, label: 'npm pack' });
	const tarball = path.join(work, packed.stdout.trim().split('\n').pop());
	tarballFiles = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
		.split('\n')
		.filter(Boolean)
		.map((f) => f.replace(/^package\//, ''));

	pg = await e2ePostgres();
	n8nDb = `n8n_packed_${rt.randomId(8).toLowerCase()}`;
	await rt.createDatabase(n8nDb, pg.pg);
	const userFolder = path.join(work, 'n8n');
	const n8n = rt.createInstance({
		userFolder,
		port: await rt.freePort(),
		brokerPort: await rt.freePort(),
		dbName: n8nDb,
		encryptionKey: rt.randomId(32),
		db: pg.pg,
		// debug: n8n reports a missing codex only at this level
		extra: { N8N_LOG_LEVEL: 'debug', GENERIC_TIMEZONE: 'Europe/Moscow' },
	});
	await n8n.init();
	installedDir = await n8n.installPackedPackage(tarball);
	server = await n8n.start();
	const cookie = await rt.ownerSession(server.baseUrl);
	nodeTypes = await rt.getJson(server.baseUrl, '/types/nodes.json', cookie);
	credentialTypes = await rt.getJson(server.baseUrl, '/types/credentials.json', cookie);
	log = fs.readFileSync(server.logFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
	runtime = n8n.runtime;
}, 15 * 60 * 1000);

afterAll(async () => {
	if (server) await server.stop();
	if (pg) {
		if (n8nDb) await rt.dropDatabase(n8nDb, pg.pg).catch(() => undefined);
		await pg.stop();
	}
	if (work) fs.rmSync(work, { recursive: true, force: true });
}, 120000);

/** Subtitles of our node types as the editor renders them (test/support/render-subtitles.js, n8n's own n8n-workflow). */
async function renderSubtitles(descriptions) {
	const { node, dir } = runtime;
	const out = await rt.run(node, [path.join(__dirname, '../support/render-subtitles.js'), path.join(dir, 'node_modules')], {
		input: JSON.stringify(descriptions),
		label: 'render-subtitles',
	});
	return JSON.parse(out.stdout);
}

const ours = (type) => type.startsWith(`${PKG.name}.`);

describe('the npm pack tarball installed as n8n installs community packages', () => {
	test('ships only what runs: compiled code, icons, SQL, templates, LICENSE; no declarations, maps or sources', () => {
		const unwanted = tarballFiles.filter((f) => /\.d\.ts$|\.map$|\.tsbuildinfo$|^dist\/package\.json$/.test(f) || (/\.ts$/.test(f) && !f.startsWith('dist/')));
		expect(unwanted).toEqual([]);
		expect(tarballFiles.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(f))).toEqual([]);
		const required = [
			'LICENSE',
			PKG.bin['getcourse-bot'],
			'dist/lib/db/schema.sql',
			...fs
				.readdirSync(path.join(REPO, 'workflows'), { recursive: true })
				.filter((f) => fs.statSync(path.join(REPO, 'workflows', f)).isFile())
				.map((f) => `dist/workflows/${f}`),
			...[...nodes, ...credentials].flatMap((x) => [x.file.replace(/^\.\//, ''), ...x.iconFiles]),
		];
		expect(required.filter((f) => !tarballFiles.includes(f))).toEqual([]);
		expect(tarballFiles.some((f) => /^dist\/lib\/db\/migrations\/.+\.sql$/.test(f))).toBe(true);
		expect(PKG.main === undefined || tarballFiles.includes(PKG.main)).toBe(true);
	});

	test('is a real folder with production dependencies only', () => {
		expect(fs.lstatSync(installedDir).isSymbolicLink()).toBe(false);
		for (const dep of Object.keys(PKG.dependencies)) expect(fs.existsSync(path.join(installedDir, 'node_modules', dep, 'package.json'))).toBe(true);
		const devOnly = Object.keys(PKG.devDependencies).filter((dep) => fs.existsSync(path.join(installedDir, 'node_modules', dep)));
		expect(devOnly).toEqual([]);
	});

	test('n8n loads every node and credential that package.json lists', () => {
		const loadedNodes = new Set(nodeTypes.map((d) => d.name).filter(ours));
		expect(nodes.map((n) => `${PKG.name}.${n.name}`).filter((t) => !loadedNodes.has(t))).toEqual([]);
		const loadedCredentials = new Set(credentialTypes.map((c) => c.name));
		expect(credentials.map((c) => c.name).filter((c) => !loadedCredentials.has(c))).toEqual([]);
	});

	test('n8n logs no error or warning about the package', () => {
		const names = [PKG.name, ...nodes.flatMap((n) => [n.name, n.displayName]), ...credentials.flatMap((c) => [c.name, c.displayName])];
		const problems = log
			.split('\n')
			.filter((line) => /error|warn|fail|unrecognized|skipping|cannot|could not|not found|invalid/i.test(line))
			.filter((line) => !/No codex available/.test(line)) // its own test below
			.filter((line) => names.some((name) => line.includes(name)));
		expect(problems).toEqual([]);
		expect(log).toMatch(/n8n ready on|Editor is now accessible/);
	});

	test('n8n finds a codex (categories, aliases, docs link) for every node', () => {
		const missing = nodes.filter((n) => log.includes(`No codex available for: ${n.name}`)).map((n) => n.name);
		expect(missing).toEqual([]);
	});

	test('every node subtitle renders with default parameters as on the canvas, without "undefined"', async () => {
		const descriptions = nodeTypes.filter((d) => ours(d.name));
		expect(descriptions.length).toBeGreaterThanOrEqual(nodes.length);
		const results = await renderSubtitles(descriptions);
		console.log(`subtitles: ${results.map((r) => `${r.type.slice(PKG.name.length + 1)}@${r.version} → ${JSON.stringify(r.rendered)}`).join('; ')}`);
		const bad = results.filter((r) => r.error || (r.subtitle !== null && (typeof r.rendered !== 'string' || /undefined|\[object Object\]|__EMPTY__/.test(r.rendered) || r.rendered.trim() === '')));
		expect(bad).toEqual([]);
	});
});
