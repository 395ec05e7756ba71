/**
 * No password and no bot token in any node output, thrown error, log row, notifications.last_error
 * or console line, in failing scenarios: wrong password, bad token, Telegram echoing the token.
 *
 * The test server trusts 127.0.0.1 (pg_hba: trust), so a wrong password cannot fail there (checked
 * below). The wrong-password path is exercised against a loopback stand-in that speaks the
 * PostgreSQL wire protocol just far enough: it asks for a cleartext password and answers 28P01.
 */
import { createServer, type Server } from 'node:net';
import { normaliseSettings } from '../../../lib/config';
import { getIntakeDb } from '../../../lib/db/intakeDb';
import { closeAllPools, getDb } from '../../../lib/db/pool';
import { GetCourseResolveMentor } from '../../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseStoreEvent } from '../../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../../support/db';
import { processCall } from '../../support/fixtures';
import { runNode } from '../../support/nodeContext';
import { adminClient } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../../support/telegram-peer');

const PASSWORD = 'Pa55-w0rd-Very-Secret-4711';
const TOKEN = '987654321:AAsecretTokenThatMustNeverLeak_42';
const peer = createTelegramPeer({ token: TOKEN });
let t: TestDb;
let baseUrl: string;
let fakePg: Server;
let fakePort: number;
const seen: string[] = []; // everything to scan
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
let consoleSpies: jest.SpyInstance[] = [];

/** A PostgreSQL stand-in: asks for a cleartext password, then refuses it with 28P01. */
function startFakePg(): Promise<number> {
	fakePg = createServer((sock) => {
		let stage = 0;
		sock.on('data', () => {
			if (stage === 0) {
				stage = 1; // startup message → AuthenticationCleartextPassword
				const b = Buffer.alloc(9);
				b.write('R', 0);
				b.writeInt32BE(8, 1);
				b.writeInt32BE(3, 5);
				sock.write(b);
			} else if (stage === 1) {
				stage = 2; // password message → ErrorResponse 28P01
				const fields = Buffer.concat(
					['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "bot"'].map((f) => Buffer.from(f + '\0')).concat([Buffer.from('\0')]),
				);
				const head = Buffer.alloc(5);
				head.write('E', 0);
				head.writeInt32BE(fields.length + 4, 1);
				sock.end(Buffer.concat([head, fields]));
			}
		});
		sock.on('error', () => undefined);
	});
	return new Promise((r) => fakePg.listen(0, '127.0.0.1', () => r((fakePg.address() as { port: number }).port)));
}

beforeAll(async () => {
	t = await createTestDb('rel_secret');
	baseUrl = await peer.start();
	fakePort = await startFakePg();
	consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
		jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void seen.push(args.map(String).join(' '))),
	);
});
afterAll(async () => {
	consoleSpies.forEach((s) => s.mockRestore());
	await peer.stop();
	await new Promise((r) => fakePg.close(r));
	await t.drop();
	await closeAllPools();
});

const capture = async (p: Promise<unknown>) => {
	try {
		const out = await p;
		seen.push(JSON.stringify(out));
		return { out, err: null as Error | null };
	} catch (err) {
		seen.push(String((err as Error).message), String((err as Error).stack), JSON.stringify(err), String((err as { description?: string }).description ?? ''));
		return { out: null, err: err as Error };
	}
};

it('here, a wrong password cannot fail: the server trusts 127.0.0.1 (pg_hba), so a real password check is not possible on this machine', async () => {
	const admin = await adminClient();
	const rules = (await admin.query(`SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'`).catch(() => ({ rows: [] as Array<{ auth_method: string }> }))).rows;
	const role = `rel_pw_${process.pid}`;
	await admin.query(`DROP ROLE IF EXISTS ${role}`);
	await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
	const bad = { ...t.credential, user: role, password: 'wrong-' + PASSWORD, connectionTimeout: 5 };
	try {
		const r = await capture(runNode(new GetCourseStoreEvent(), { items: [processCall()], credentials: { getCourseBotPostgres: bad as never } }));
		if (rules.length && rules.every((x) => x.auth_method === 'trust')) {
			// trusted: the login succeeds whatever the password; only the schema rights can fail
			expect(r.err === null || !/password authentication failed/.test(r.err.message)).toBe(true);
		}
	} finally {
		// that role's pools only: their connections must go before DROP ROLE
		await getDb(normaliseSettings(bad)).pool.end();
		await getIntakeDb(normaliseSettings(bad)).pool.end();
		await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
		await admin.query(`DROP ROLE IF EXISTS ${role}`);
		await admin.end();
	}
});

it('a refused password (28P01): intake answers 503 with the cause in n8n\'s log, other nodes fail clearly; never the password', async () => {
	const cred = { ...t.credential, hostExternal: '127.0.0.1', port: fakePort, user: 'bot', password: PASSWORD, connectionTimeout: 5 };
	const logs: string[] = [];
	const stored = await capture(runNode(new GetCourseStoreEvent(), { items: [processCall()], logs, credentials: { getCourseBotPostgres: cred as never } }));
	seen.push(...logs);
	expect(stored.err).toBeNull();
	expect((stored.out as Array<Array<{ json: unknown }>>)[0][0].json).toMatchObject({ status: 'unavailable', httpStatus: 503 });
	expect(logs.join('\n')).toMatch(/password authentication failed for user "bot"/);
	expect(logs.join('\n')).toMatch(/127\.0\.0\.1/);
	const thrown = await capture(runNode(new GetCourseResolveMentor(), { credentials: { getCourseBotPostgres: cred as never } }));
	expect(thrown.err?.message).toMatch(/password authentication failed for user "bot"/);
	const items = await capture(runNode(new GetCourseResolveMentor(), { continueOnFail: true, credentials: { getCourseBotPostgres: { ...cred, schema: 'other_s' } as never } }));
	expect(JSON.stringify(items.out)).toMatch(/password authentication failed/);
});

it('bad tokens and a Telegram description echoing the token leave no trace of the token', async () => {
	await q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash) VALUES
		 (1, 't', 'echo', '111', 'h1'), (1, 't', 'five', '112', 'h2'), (1, 't', 'ok', '113', 'h3')`,
	);
	peer.failAlways('111', { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: bot${TOKEN} is not allowed here (${TOKEN})` } });
	peer.failAlways('112', { status: 500, body: { ok: false, error_code: 500, description: `Internal error for /bot${TOKEN}/sendMessage` } });
	const send = (token: string, url = baseUrl, continueOnFail = false) =>
		capture(
			runNode(new GetCourseSendPending(), {
				parameters: { maxRunSeconds: 5, options: { retriesPerRun: 1, retryBaseMs: 20, maxAttempts: 1 } },
				continueOnFail,
				credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: token, baseUrl: url } as never },
			}),
		);
	const ok = await send(TOKEN);
	expect(JSON.stringify(ok.out)).toMatch(/"status":"sent"/);
	expect(JSON.stringify(ok.out)).toMatch(/"status":"failed"/);
	// a token of the right shape that Telegram refuses (401), and one of the wrong shape
	await q(`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash) VALUES (1, 't', 'x', '114', 'h4')`);
	const other = TOKEN.replace('AAsecret', 'AAsecreX');
	await send(other);
	const malformed = await send(`not a token ${TOKEN.slice(0, 12)}`, baseUrl, true);
	expect(JSON.stringify(malformed.out)).toMatch(/does not look like/);
	const thrown = await send(`${TOKEN}\n`.replace(':', '::'));
	expect(thrown.err?.message).toMatch(/does not look like/);
	// nothing listening: the network error must not carry the URL with the token
	await q(`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash) VALUES (1, 't', 'y', '115', 'h5')`);
	await send(TOKEN, 'http://127.0.0.1:1');

	const rows = [
		...(await q(`SELECT last_error FROM notifications`)).rows,
		...(await q(`SELECT * FROM error_logs`)).rows,
		...(await q(`SELECT * FROM application_logs`)).rows,
	];
	seen.push(JSON.stringify(rows));
	expect(JSON.stringify(rows)).toMatch(/Bad Request: bot\*\*\*|\*\*\*/); // the echoed reason is kept, token masked
	for (const secret of [TOKEN, TOKEN.split(':')[1], other, other.split(':')[1]]) {
		for (const s of seen) expect(s).not.toContain(secret);
	}
});

it('no password anywhere in what was seen', () => {
	expect(seen.length).toBeGreaterThan(5);
	for (const s of seen) {
		expect(s).not.toContain(PASSWORD);
		expect(s).not.toContain('wrong-' + PASSWORD);
	}
});
