/**
 * docs/troubleshooting.md quotes what the product prints for the seed's cases — timeout or
 * connection refused, invalid password, tables not created — and a few more: each case is run
 * here for real with the command line, and the doc must hold the cause-and-fix part of the very
 * line it printed (so the doc cannot drift from the code). The password is never printed.
 *
 *   npm run build && npx jest test/integration/troubleshooting.test.ts
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
/* eslint-disable @typescript-eslint/no-require-imports */
const testPgConfig = require('../support/pgEnv') as () => { host: string; port: number; user: string; password: string; database: string };
const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');
/* eslint-enable @typescript-eslint/no-require-imports */

const run = promisify(execFile);
const CLI = join(__dirname, '../../dist/lib/cli/main.js');
const DOC = readFileSync(join(__dirname, '../../docs/troubleshooting.md'), 'utf8');
const cfg = testPgConfig();
let silent: Server;
const sockets: Socket[] = [];
let silentPort: number;
let root: string | undefined;
let embedded: { port: number; password: string; stop(): Promise<unknown> } | undefined;

async function cli(args: string[], over: Record<string, string>) {
	const env = { PATH: process.env.PATH ?? '', POSTGRES_HOST_EXTERNAL: cfg.host, POSTGRES_PORT: String(cfg.port), POSTGRES_USER: cfg.user, POSTGRES_PASSWORD: cfg.password, POSTGRES_DB: cfg.database, SERVER_ENV: 'dev', ...over };
	try {
		const r = await run(process.execPath, [CLI, ...args], { env, cwd: tmpdir() });
		return { code: 0, out: (r.stdout + r.stderr).trim() };
	} catch (e) {
		const err = e as { code: number; stdout: string; stderr: string };
		return { code: err.code, out: (err.stdout + err.stderr).trim() };
	}
}

/** The part of a connection line after `user "…": ` — the cause and what to check. */
const causeOf = (line: string) => line.slice(line.indexOf('": ', line.indexOf(', user "')) + 3);

const freePort = () =>
	new Promise<number>((resolve) => {
		const srv = createServer();
		srv.listen(0, '127.0.0.1', () => {
			const p = (srv.address() as { port: number }).port;
			srv.close(() => resolve(p));
		});
	});

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	// accepts connections and never answers: what a firewall that drops packets looks like to a client
	silent = createServer((socket) => sockets.push(socket));
	await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
	silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
	await embedded?.stop();
	for (const socket of sockets) socket.destroy();
	await new Promise((r) => silent.close(r));
	if (root) rmSync(root, { recursive: true, force: true });
});

describe('docs/troubleshooting.md holds what the command line prints', () => {
	it('connection refused', async () => {
		const r = await cli(['init'], { POSTGRES_PORT: '1' });
		expect(r.code).toBe(1);
		expect(r.out).toMatch(/^getcourse-bot: Cannot use PostgreSQL at 127\.0\.0\.1:1 \(environment is dev, so the external host is used\), database "[^"]+", user "[^"]+": connection refused: /);
		expect(DOC).toContain(causeOf(r.out));
	});

	it('no answer (timeout)', async () => {
		const r = await cli(['init'], { POSTGRES_PORT: String(silentPort), POSTGRES_CONNECT_TIMEOUT: '2' });
		expect(r.code).toBe(1);
		expect(r.out).toMatch(/: no answer within 2 s: /);
		expect(DOC).toContain(causeOf(r.out));
	});

	it('prod without an internal host says which host it used and why', async () => {
		const r = await cli(['stats'], { SERVER_ENV: 'prod', POSTGRES_PORT: '1' });
		expect(r.out).toContain('(environment is prod but no internal host is set, so the external host is used)');
	});

	it('unknown host, missing database, no host at all', async () => {
		const host = await cli(['init'], { POSTGRES_HOST_EXTERNAL: 'db.no-such-host.invalid' });
		expect(host.code).toBe(1);
		expect(DOC).toContain(causeOf(host.out));
		const db = await cli(['stats'], { POSTGRES_DB: 'gcb_no_such_database' });
		expect(db.code).toBe(1);
		expect(causeOf(db.out)).toBe('database "gcb_no_such_database" does not exist: check the database name');
		expect(DOC).toContain('does not exist: check the database name');
		const none = await cli(['stats'], { POSTGRES_HOST_EXTERNAL: '' });
		expect(none.out).toBe('getcourse-bot: No PostgreSQL host configured: set the external host (dev) or the internal host (prod)');
		expect(DOC).toContain(none.out);
	});

	it('tables are not created', async () => {
		const r = await cli(['stats'], { POSTGRES_SCHEMA: 'gcb_never_initialised' });
		expect(r.code).toBe(1);
		expect(r.out).toBe(
			`getcourse-bot: relation "webhook_events" does not exist in schema "gcb_never_initialised" of database "${cfg.database}": the tables are not created (or not up to date): run "getcourse-bot init"`,
		);
		expect(DOC).toContain(r.out.slice(r.out.indexOf(': the tables are not created')));
	});

	it('invalid password, never printed', async () => {
		root = mkdtempSync(join(tmpdir(), 'gcb-trouble-'));
		chmodSync(root, 0o755); // as root, PostgreSQL runs as `postgres`
		const port = await freePort();
		embedded = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
		const r = await cli(['init'], { POSTGRES_PORT: String(port), POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'Wrong-Password-987', POSTGRES_DB: 'postgres' });
		expect(r.code).toBe(1);
		expect(causeOf(r.out)).toBe('password authentication failed for user "postgres": check the user name and password');
		expect(DOC).toContain(causeOf(r.out));
		expect(r.out).not.toContain('Wrong-Password-987');
	}, 120000);
});
