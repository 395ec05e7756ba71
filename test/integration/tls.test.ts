/**
 * TLS to PostgreSQL with a private CA, on real servers started here: an embedded PostgreSQL with
 * `ssl=on` and a server certificate (for 127.0.0.1 only) from a throwaway CA made with the openssl
 * command line, and a second one without SSL.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseSettings, settingsFromEnv, type PgSettings } from '../../lib/config';
import { closeAllPools, getDb, testConnection, withClient } from '../../lib/db/pool';
import { testPostgresCredential } from '../../nodes/shared/database';
import { makeThrowawayPki, postgresIdsIfRoot, type ThrowawayPki } from '../support/throwawayCa';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');

interface Embedded {
	port: number;
	password: string;
	stop(): Promise<unknown>;
}

const freePort = () =>
	new Promise<number>((resolve, reject) => {
		const srv = createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as { port: number };
			srv.close(() => resolve(port));
		});
	});

let root: string;
let pki: ThrowawayPki;
let tlsServer: Embedded;
let plainServer: Embedded;

beforeAll(async () => {
	root = mkdtempSync(join(tmpdir(), 'gcb-tls-'));
	chmodSync(root, 0o755); // as root, PostgreSQL runs as `postgres` and must reach its files here
	const certs = join(root, 'certs');
	mkdirSync(certs, { mode: 0o755 });
	pki = makeThrowawayPki(certs, ['127.0.0.1'], postgresIdsIfRoot());
	const [tlsPort, plainPort] = [await freePort(), await freePort()];
	[tlsServer, plainServer] = await Promise.all([
		startEmbeddedPostgres({
			dataDir: join(root, 'pg-tls'),
			port: tlsPort,
			// listen on every address of "localhost", so a connection by that name reaches the server
			postgresFlags: ['-c', 'listen_addresses=localhost', '-c', 'ssl=on', '-c', `ssl_cert_file=${pki.serverCert}`, '-c', `ssl_key_file=${pki.serverKey}`],
		}),
		startEmbeddedPostgres({ dataDir: join(root, 'pg-plain'), port: plainPort }),
	]);
}, 180000);

afterAll(async () => {
	await closeAllPools();
	await Promise.all([tlsServer?.stop(), plainServer?.stop()]);
	if (root) rmSync(root, { recursive: true, force: true });
}, 60000);

function settings(over: Record<string, unknown> = {}, server: Embedded = tlsServer): PgSettings {
	return normaliseSettings({
		hostExternal: '127.0.0.1',
		port: server.port,
		user: 'postgres',
		password: server.password,
		database: 'postgres',
		ssl: 'verify-full',
		sslCa: pki.caPem,
		connectionTimeout: 10,
		...over,
	});
}

/** Whether this session is encrypted, as the server sees it. */
async function sessionUsesSsl(s: PgSettings): Promise<boolean> {
	const r = await withClient(getDb(s), (c) => c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'));
	return r.rows[0].ssl;
}

async function failure(s: PgSettings): Promise<string> {
	const err = await testConnection(s).then(
		() => null,
		(e: Error) => e,
	);
	if (!err) throw new Error(`connected with ssl=${s.ssl} to ${s.hostExternal}, but a failure was expected`);
	expect(err.name).toBe('DbConnectionError');
	expect(err.message).not.toContain('\n');
	expect(err.message).not.toContain(s.password);
	return err.message;
}

describe('verify-full', () => {
	test('the right CA and the host the certificate names: connects, encrypted', async () => {
		const s = settings();
		await expect(testConnection(s)).resolves.toMatchObject({ host: { host: '127.0.0.1' } });
		expect(await sessionUsesSsl(s)).toBe(true);
	});

	test('POSTGRES_SSL_CA as a file path and as PEM text', async () => {
		const env = { POSTGRES_HOST_EXTERNAL: '127.0.0.1', POSTGRES_PORT: String(tlsServer.port), POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: tlsServer.password, POSTGRES_DB: 'postgres', POSTGRES_SSL: 'verify-full' };
		const fromPath = settingsFromEnv({ ...env, POSTGRES_SSL_CA: pki.caFile });
		expect(fromPath.sslCa).toBe(pki.caPem);
		expect(await sessionUsesSsl(fromPath)).toBe(true);
		// PEM text on one line with literal \n, as it often sits in a .env file
		const fromText = settingsFromEnv({ ...env, POSTGRES_SSL_CA: pki.caPem.trim().split('\n').join('\\n') });
		expect(fromText.sslCa).toBe(pki.caPem);
		await expect(testConnection(fromText)).resolves.toBeTruthy();
	});

	test('a wrong CA fails with one clear line', async () => {
		const line = await failure(settings({ sslCa: pki.otherCaPem }));
		expect(line).toMatch(/^Cannot use PostgreSQL at 127\.0\.0\.1:\d+ /);
		expect(line).toMatch(/TLS: the server's certificate is not signed by the CA certificate given \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
		expect(line).toMatch(/"CA Certificate" \(POSTGRES_SSL_CA\)/);
	});

	test("no CA given: the system's CAs do not know a private CA", async () => {
		const line = await failure(settings({ sslCa: '' }));
		expect(line).toMatch(/TLS: the server's certificate is not signed by the system's CAs \(no CA certificate given\)/);
	});

	test('a host name the certificate does not name fails with one clear line', async () => {
		const line = await failure(settings({ hostExternal: 'localhost' }));
		expect(line).toMatch(/TLS: the server's certificate is not issued for "localhost" \(.*localhost.*\): connect with a host name the certificate names, or use SSL mode verify-ca/);
	});

	test("the credential's Test button shows the same line", async () => {
		const data = { ...settings({ sslCa: pki.otherCaPem }) } as unknown as Record<string, unknown>;
		const result = await testPostgresCredential.call({} as never, { id: '1', name: 'pg', type: 'getCourseBotPostgres', data } as never);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/not signed by the CA certificate given/);
		expect(result.message).not.toContain(tlsServer.password);
	});
});

describe('verify-ca and require', () => {
	test('verify-ca checks the CA but not the host name', async () => {
		expect(await sessionUsesSsl(settings({ ssl: 'verify-ca', hostExternal: 'localhost' }))).toBe(true);
		const line = await failure(settings({ ssl: 'verify-ca', hostExternal: 'localhost', sslCa: pki.otherCaPem }));
		expect(line).toMatch(/not signed by the CA certificate given/);
	});

	test('require encrypts without a CA and without checking the certificate', async () => {
		expect(await sessionUsesSsl(settings({ ssl: 'require', sslCa: '', hostExternal: 'localhost' }))).toBe(true);
	});

	test('disable does not encrypt', async () => {
		expect(await sessionUsesSsl(settings({ ssl: 'disable' }))).toBe(false);
	});

	test('a server without SSL: one clear line', async () => {
		const line = await failure(settings({ ssl: 'require' }, plainServer));
		expect(line).toMatch(/the server does not support SSL connections: set SSL to disable/);
	});
});

describe("the credential test's message", () => {
	test('names our user and database even when they equal the password text', async () => {
		const name = 'gcb_same_text';
		await withClient(getDb(settings()), async (c) => {
			await c.query(`CREATE ROLE ${name} LOGIN PASSWORD 'a-different-password'`);
			await c.query(`CREATE DATABASE ${name} OWNER ${name}`);
		});
		const data = { ...settings({ user: name, database: name, password: name }) } as unknown as Record<string, unknown>;
		const result = await testPostgresCredential.call({} as never, { id: '1', name: 'pg', type: 'getCourseBotPostgres', data } as never);
		expect(result.status).toBe('Error');
		expect(result.message).toContain(`database "${name}", user "${name}"`);
		expect(result.message).toMatch(new RegExp(`password authentication failed for user "${name}"`));
		expect(result.message).not.toContain('***');
	});
});
