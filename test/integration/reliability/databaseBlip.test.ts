/**
 * The database goes away while Telegram is answering (a real PostgreSQL, embedded, stopped and
 * started again on the same data): a message Telegram accepted is still recorded once the
 * database is back within the lease, and when it stays away past the lease, the message that
 * goes out again is counted in uncertain_sends.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseSettings } from '../../../lib/config';
import { closeAllPools, getDb, type Db } from '../../../lib/db/pool';
import { applySchema } from '../../../lib/db/schema';
import { sendPending } from '../../../lib/telegram/sendPending';
import { sleep } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startEmbeddedPostgres } = require('../../../scripts/embedded-pg');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../scripts/n8n/http');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../../support/telegram-peer');

const TOKEN = '555666777:AAreliabilityDatabaseBlipToken_x';
const peer = createTelegramPeer({ token: TOKEN });
let root: string;
let port: number;
let server: { stop(): Promise<unknown>; password: string } | null = null;
let db: Db;
let baseUrl: string;
const q = (sql: string, v: unknown[] = []) => db.pool.query(sql, v);

async function startServer(): Promise<void> {
	server = await startEmbeddedPostgres({ dataDir: join(root, 'data'), port });
}
async function stopServer(): Promise<void> {
	const s = server;
	server = null;
	await s?.stop();
}
async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!cond()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(10);
	}
}

beforeAll(async () => {
	root = mkdtempSync(join(tmpdir(), 'gcb-blip-pg-'));
	chmodSync(root, 0o777); // as root, PostgreSQL runs as user postgres and creates its folder here
	port = await freePort();
	await startServer();
	db = getDb(normaliseSettings({ hostExternal: '127.0.0.1', port, user: 'postgres', password: server?.password, database: 'postgres', schema: 'blip', ssl: 'disable', connectionTimeout: 3 }));
	await applySchema(db);
	baseUrl = await peer.start();
}, 180_000);
afterAll(async () => {
	await peer.stop();
	await closeAllPools();
	await stopServer();
	rmSync(root, { recursive: true, force: true });
}, 60_000);
beforeEach(async () => {
	peer.reset();
	peer.delayMs = 0;
	await q('TRUNCATE notifications, chat_pace RESTART IDENTITY');
	await q(`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash) VALUES (1, 'homework_submitted', 'Ответ принят', '4242', md5(random()::text))`);
});

it('Telegram accepts a message while the database is down for 8 s: the result is written once it is back, the message goes once', async () => {
	peer.delayMs = 1000; // the database stops while Telegram is answering
	const running = sendPending(db.pool, { baseUrl, token: TOKEN, requestTimeoutMs: 10_000 }, { maxRunSeconds: 5 });
	await until('the request at Telegram', () => peer.requests.some((r: { method: string }) => r.method === 'sendMessage'));
	await stopServer();
	await until("Telegram's answer", () => peer.messages.length === 1);
	await sleep(8000); // longer than the 5 tries (6 s) the write used to get
	await startServer();
	const out = await running;
	expect(out).toEqual([expect.objectContaining({ status: 'sent', telegramMessageId: String(peer.messages[0].message_id) })]);
	expect((await q(`SELECT status, telegram_message_id, uncertain_sends FROM notifications`)).rows).toEqual([
		{ status: 'sent', telegram_message_id: String(peer.messages[0].message_id), uncertain_sends: 0 },
	]);
	expect(await sendPending(db.pool, { baseUrl, token: TOKEN, requestTimeoutMs: 10_000 })).toEqual([]);
	expect(peer.messages).toHaveLength(1);
}, 120_000);

it('down past the lease: the run gives up writing, and the message that goes out again is counted as uncertain', async () => {
	peer.delayMs = 500;
	// lease = 1 s run + 2 s request timeout + 1 s margin
	const tg = { baseUrl, token: TOKEN, requestTimeoutMs: 2000 };
	const running = sendPending(db.pool, tg, { maxRunSeconds: 1, leaseMarginSeconds: 1 });
	await until('the request at Telegram', () => peer.requests.some((r: { method: string }) => r.method === 'sendMessage'));
	await stopServer();
	const out = await running; // it stops trying when the lease is about to end
	expect(out).toEqual([expect.objectContaining({ status: 'retry_later' })]);
	expect(peer.messages).toHaveLength(1);
	await startServer();
	// nothing could be written: the claim stands until its lease ends (moved to now, not waited for)
	expect((await q(`SELECT status, uncertain_sends FROM notifications`)).rows).toEqual([{ status: 'sending', uncertain_sends: 0 }]);
	await q(`UPDATE notifications SET locked_until = NOW() - interval '1 second'`);
	const again = await sendPending(db.pool, tg, { maxRunSeconds: 5 });
	expect(again).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
	expect(peer.messages).toHaveLength(2);
	expect((await q(`SELECT status, uncertain_sends, last_uncertain_at IS NOT NULL AS at FROM notifications`)).rows).toEqual([{ status: 'sent', uncertain_sends: 1, at: true }]);
}, 120_000);
