/**
 * A Send execution that claimed notifications and then died: its claims stay `sending` until the
 * lease runs out, then the next execution sends each of them exactly once.
 * (1) in-process: lib's claimNotifications on a pool of its own, which is then torn down;
 * (2) a child process that claims and is SIGKILLed. It runs lib/ from source (compiled on load
 *     with the project's TypeScript), so it never depends on a build and never skips itself.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { normaliseSettings } from '../../../lib/config';
import { claimNotifications } from '../../../lib/db/notifications';
import { getDb } from '../../../lib/db/pool';
import { GetCourseSendPending } from '../../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { type TestDb } from '../../support/db';
import { withDbAndPeer } from '../../support/dbAndPeer';
import { runNode } from '../../support/nodeContext';
import { sleep } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../../support/telegram-peer');

const TOKEN = '444555666:AAreliabilityCrashedSendToken_xy';
const peer = createTelegramPeer({ token: TOKEN });
const ROOT = join(__dirname, '..', '..', '..');
let t: TestDb;
let baseUrl: string;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const send = () =>
	runNode(new GetCourseSendPending(), {
		parameters: { maxRunSeconds: 20, options: { messagesPerSecond: 1000, perChatIntervalMs: 5, concurrency: 8 } },
		credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } as never },
	});

async function queue(n: number, tag: string) {
	await q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT 1, 'homework_submitted', $2 || '#' || g, (7000000 + g)::text, md5($2 || g) FROM generate_series(0, $1 - 1) g`,
		[n, tag],
	);
}

async function expectEachSentOnce(n: number) {
	const msgs = peer.messages as Array<{ text: string }>;
	expect(msgs).toHaveLength(n);
	expect(new Set(msgs.map((m) => m.text)).size).toBe(n);
	const rows = (await q(`SELECT status, count(*)::int AS n FROM notifications GROUP BY status`)).rows;
	expect(rows).toEqual([{ status: 'sent', n }]);
}

withDbAndPeer('rel_crash', peer, 'notifications', (db, url) => {
	t = db;
	baseUrl = url;
});

it('claims of a run that died in-process come back after the lease and are sent once', async () => {
	await queue(80, 'a');
	// "another n8n process": a pool of its own (distinct settings → distinct pool)
	const other = getDb(normaliseSettings({ ...t.credential, connectionTimeout: 11 }));
	const claimed = await claimNotifications(other.pool, 50, 2);
	expect(claimed).toHaveLength(50);
	await other.pool.end(); // it dies: no markSent, no release
	const [first] = await send();
	expect(first).toHaveLength(30); // the 50 under a live lease are left alone
	expect((await q(`SELECT count(*)::int AS n FROM notifications WHERE status = 'sending'`)).rows[0].n).toBe(50);
	await sleep(2300); // the lease runs out
	const [second] = await send();
	expect(second).toHaveLength(50);
	expect(second.every((o) => o.json.status === 'sent' && o.json.attempts === 2)).toBe(true);
	await expectEachSentOnce(80);
	expect((await send())[0]).toHaveLength(0);
});

/** A child's require hook: lib/*.ts compiled on load (no type check), as ts-jest does for the tests. */
const TS_HOOK = `
	const ts = require(${JSON.stringify(require.resolve('typescript'))});
	const fs = require('node:fs');
	require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), {
		fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);`;

it('claims of a SIGKILLed process come back after the lease and are sent once', async () => {
	await queue(60, 'b');
	const script = `${TS_HOOK}
		const { normaliseSettings } = require(${JSON.stringify(join(ROOT, 'lib/config.ts'))});
		const { getDb } = require(${JSON.stringify(join(ROOT, 'lib/db/pool.ts'))});
		const { claimNotifications } = require(${JSON.stringify(join(ROOT, 'lib/db/notifications.ts'))});
		const db = getDb(normaliseSettings(JSON.parse(process.env.CRED)));
		claimNotifications(db.pool, 40, 3).then((c) => { process.stdout.write('claimed ' + c.length + '\\n'); setInterval(() => {}, 1000); });`;
	const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, CRED: JSON.stringify(t.credential) }, stdio: ['ignore', 'pipe', 'inherit'] });
	const line = await new Promise<string>((resolve, reject) => {
		child.stdout.on('data', (d) => resolve(String(d)));
		child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
	});
	expect(line.trim()).toBe('claimed 40');
	child.kill('SIGKILL');
	await new Promise((r) => child.once('exit', r));
	const [first] = await send();
	expect(first).toHaveLength(20);
	await sleep(3300);
	const [second] = await send();
	expect(second).toHaveLength(40);
	await expectEachSentOnce(60);
});
