import { Pool } from 'pg';
import { poolConfig } from '../../lib/db/pool';
import { sendPending } from '../../lib/telegram/sendPending';
import { GetCourseSendPending } from '../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { withDbAndPeer } from '../support/dbAndPeer';
import { type TestDb } from '../support/db';
import { runNode } from '../support/nodeContext';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../support/telegram-peer');
const peer = createTelegramPeer({ token: '123456789:AAEfakeTokenForLoopbackTests_xyz' });

const TOKEN = '123456789:AAEfakeTokenForLoopbackTests_xyz';
let t: TestDb;
let baseUrl: string;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);

const send = (options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, token = TOKEN) =>
	runNode(new GetCourseSendPending(), {
		parameters: { maxRunSeconds: 20, options: { retryBaseMs: 50, ...options }, ...extra },
		credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: token, baseUrl } },
	});

async function queue(chats: string[]): Promise<void> {
	await q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT 1, 'homework_submitted', '<b>Сообщение</b> ' || i, c, md5(random()::text || i)
		   FROM unnest($1::text[]) WITH ORDINALITY AS x(c, i)`,
		[chats],
	);
}

withDbAndPeer('send', peer, 'notifications', (db, url) => {
	t = db;
	baseUrl = url;
});

describe('GetCourse Send Pending', () => {
	it('sends each pending notification once with HTML parse mode and records sent_at and the message id', async () => {
		await queue(['11', '12', '13']);
		const [out] = await send();
		expect(out.map((o) => o.json.status)).toEqual(['sent', 'sent', 'sent']);
		expect(peer.messages.map((m: { chat_id: string }) => m.chat_id).sort()).toEqual(['11', '12', '13']);
		expect(peer.messages[0].parse_mode).toBe('HTML');
		const rows = (await q(`SELECT status, sent_at, telegram_message_id FROM notifications`)).rows;
		expect(rows.every((r) => r.status === 'sent' && r.sent_at && r.telegram_message_id)).toBe(true);
		expect((await send())[0]).toHaveLength(0);
		expect(peer.messages).toHaveLength(3);
	});

	it('honours 429 retry_after, then succeeds', async () => {
		await queue(['21']);
		peer.failFor('21', { code: 429, retryAfter: 1, times: 1 });
		const started = Date.now();
		const [out] = await send();
		expect(out[0].json).toMatchObject({ status: 'sent' });
		expect(peer.requests.filter((r: { method: string }) => r.method === 'sendMessage')).toHaveLength(2);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
		expect(peer.messages).toHaveLength(1);
	});

	it('a 429 asking to wait longer than the run allows goes back to pending, without using up an attempt', async () => {
		await queue(['25']);
		peer.failNext('25', peer.answers[429](120));
		const [out] = await send({ maxAttempts: 1 });
		expect(out[0].json).toMatchObject({ status: 'retry_later', error: 'Too Many Requests: retry after 120' });
		const row = (await q(`SELECT status, attempts, next_attempt_at > NOW() + interval '100 seconds' AS later FROM notifications`)).rows[0];
		expect(row).toEqual({ status: 'pending', attempts: 0, later: true });
		expect(peer.messages).toHaveLength(0);
	});

	it('marks 403 and 400 failed with the reason, and does not try them again', async () => {
		await queue(['31', '32', '33']);
		peer.failFor('31', 'blocked');
		peer.failFor('32', 'chat_not_found');
		const [out] = await send();
		const byChat = Object.fromEntries(out.map((o) => [o.json.chatId, o.json]));
		expect(byChat['31']).toMatchObject({ status: 'failed', error: 'Forbidden: bot was blocked by the user' });
		expect(byChat['32']).toMatchObject({ status: 'failed', error: 'Bad Request: chat not found' });
		expect(byChat['33']).toMatchObject({ status: 'sent' });
		const rows = (await q(`SELECT chat_id, status, last_error FROM notifications ORDER BY chat_id`)).rows;
		expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'sent']);
		peer.reset();
		await send();
		expect(peer.requests).toHaveLength(0);
	});

	it('retries 5xx with backoff inside the run, then leaves it pending for a later run, then fails after max attempts', async () => {
		await queue(['41', '42']);
		peer.failNext('41', peer.answers[500]());
		peer.failAlways('42', peer.answers[500]());
		const [out] = await send({ retriesPerRun: 2, maxAttempts: 2 });
		const byChat = Object.fromEntries(out.map((o) => [o.json.chatId, o.json]));
		expect(byChat['41']).toMatchObject({ status: 'sent' });
		expect(byChat['42']).toMatchObject({ status: 'retry_later', error: 'Internal Server Error' });
		expect(peer.requests.filter((r: { body: { chat_id: string } | null }) => r.body?.chat_id === '42')).toHaveLength(3);
		await q(`UPDATE notifications SET next_attempt_at = NOW() WHERE chat_id = '42'`);
		const [second] = await send({ retriesPerRun: 0, maxAttempts: 2 });
		expect(second[0].json).toMatchObject({ status: 'failed', error: expect.stringMatching(/gave up after 2 attempts/) });
	});

	it('a network failure (nothing listening) is retried later, not lost', async () => {
		await queue(['51']);
		const [out] = await runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 5, options: { retriesPerRun: 0 } },
			credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl: 'http://127.0.0.1:1' } },
		});
		expect(out[0].json).toMatchObject({ status: 'retry_later', error: expect.stringMatching(/network error/) });
		expect((await q(`SELECT status FROM notifications`)).rows[0].status).toBe('pending');
	});

	it('paces one chat to one message a second and many chats together', async () => {
		await queue(['61', '61', '61', '62', '63']);
		await send();
		const times = peer.messages.filter((m: { chat_id: string }) => m.chat_id === '61').map((m: { at: number }) => m.at);
		expect(times).toHaveLength(3);
		expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
		expect(times[2] - times[1]).toBeGreaterThanOrEqual(950);
		expect(peer.messages).toHaveLength(5);
	});

	it('two parallel Send executions in one process never send one notification twice (the second hands its work to the first)', async () => {
		await queue(Array.from({ length: 120 }, (_, i) => String(7000 + i)));
		const [a, b] = await Promise.all([send({ batchSize: 10, messagesPerSecond: 200 }), send({ batchSize: 10, messagesPerSecond: 200 })]);
		expect(a[0].length + b[0].length).toBe(120);
		expect(peer.messages).toHaveLength(120);
		expect(new Set(peer.messages.map((m: { chat_id: string }) => m.chat_id)).size).toBe(120);
	});

	it('two processes sending at once (pools of their own) share the queue and never send one notification twice', async () => {
		await queue(Array.from({ length: 120 }, (_, i) => String(7000 + i)));
		const tg = { baseUrl, token: TOKEN, requestTimeoutMs: 10_000 };
		const pools = [0, 1].map(() => new Pool(poolConfig(t.settings, t.db.host, 2)));
		const [a, b] = await Promise.all(pools.map((p) => sendPending(p, tg, { batchSize: 10, messagesPerSecond: 200, maxRunSeconds: 20 }))).finally(() =>
			Promise.all(pools.map((p) => p.end())),
		);
		const sent = (o: { status: string }[]) => o.filter((x) => x.status === 'sent').length;
		expect(sent(a) + sent(b)).toBe(120);
		expect(sent(a)).toBeGreaterThan(0);
		expect(sent(b)).toBeGreaterThan(0);
		expect(peer.messages).toHaveLength(120);
		expect(new Set(peer.messages.map((m: { chat_id: string }) => m.chat_id)).size).toBe(120);
	});

	it('a crashed run\'s claims come back after the lease, and are sent once', async () => {
		await queue(['81']);
		await q(`UPDATE notifications SET status = 'sending', locked_until = NOW() - interval '1 second', claim_token = gen_random_uuid(), attempts = 1`);
		const [out] = await send();
		expect(out[0].json).toMatchObject({ status: 'sent', attempts: 2 });
		expect(peer.messages).toHaveLength(1);
		await q(`UPDATE notifications SET status = 'sending', locked_until = NOW() + interval '1 hour'`);
		expect((await send())[0]).toHaveLength(0); // a live lease is left alone
	});

	it('the bot token appears in no output, error or stored reason', async () => {
		await queue(['91']);
		peer.failAlways('91', { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: token ${TOKEN} rejected` } });
		const [out] = await send();
		const bad = await runNode(new GetCourseSendPending(), {
			parameters: {},
			continueOnFail: true,
			credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: 'not-a-token', baseUrl } },
		});
		const stored = (await q(`SELECT last_error FROM notifications`)).rows;
		const all = JSON.stringify(out) + JSON.stringify(bad) + JSON.stringify(stored);
		expect(all).not.toContain(TOKEN);
		expect(all).not.toContain(TOKEN.split(':')[1]);
		expect(JSON.stringify(bad)).toMatch(/does not look like/);
		await expect(send({}, {}, 'x')).rejects.toThrow(/does not look like/);
	});
});

describe('faults that must not burn the queue, and timing that must not send twice', () => {
	it('401 (token revoked) stops the run with an error naming the cause; every notification stays pending, no attempt used', async () => {
		await queue(['101', '102', '103']);
		// the peer only knows TOKEN: another well-formed token gets 401 Unauthorized
		const revoked = '123456789:AAErevokedTokenForLoopbackTest_zz';
		const err = await send({}, {}, revoked).then(
			() => null,
			(e: Error) => e,
		);
		expect(err?.message).toMatch(/Telegram refused the bot token \(401 Unauthorized\): it was revoked or mistyped.*notifications stay pending/);
		expect(err?.message).not.toContain(revoked.split(':')[1]);
		expect(peer.requests.filter((r: { method: string }) => r.method === 'sendMessage').length).toBeLessThanOrEqual(8); // stopped, not one per notification
		expect((await q(`SELECT status, attempts FROM notifications ORDER BY id`)).rows).toEqual([
			{ status: 'pending', attempts: 0 },
			{ status: 'pending', attempts: 0 },
			{ status: 'pending', attempts: 0 },
		]);
		// with continueOnFail: one error item, same message
		const [out] = await runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 5 },
			continueOnFail: true,
			credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: revoked, baseUrl } },
		});
		expect(out[0].json.error).toMatch(/401/);
		// the token fixed: everything goes out once
		const [ok] = await send();
		expect(ok.map((o) => o.json.status)).toEqual(['sent', 'sent', 'sent']);
	});

	it('404 (wrong base URL) stops the run the same way', async () => {
		await queue(['111', '112']);
		const err = await runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 5 },
			credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl: `${baseUrl}/wrong/prefix` } },
		}).then(
			() => null,
			(e: Error) => e,
		);
		expect(err?.message).toMatch(/answered 404 \(Not Found\): check the Base URL/);
		expect(err?.message).not.toContain(TOKEN.split(':')[1]);
		expect((await q(`SELECT count(*)::int AS n FROM notifications WHERE status = 'pending' AND attempts = 0`)).rows[0].n).toBe(2);
	});

	it.each([
		[{ concurrency: 0 }, /concurrency must be between 1 and 100, got 0/],
		[{ batchSize: 0 }, /batchSize must be between 1 and 1000, got 0/],
		[{ messagesPerSecond: -1 }, /messagesPerSecond must be between/],
		[{ requestTimeoutMs: 500 }, /requestTimeoutMs must be between 1000 and 120000/],
	])('refuses %j with the allowed range instead of hanging or idling', async (options, message) => {
		await queue(['121']);
		await expect(send(options as Record<string, unknown>)).rejects.toThrow(message);
		expect((await q(`SELECT status FROM notifications`)).rows[0].status).toBe('pending');
	});

	it('a Send Pending with nothing to send returns at once: no request to Telegram, no send slot reserved', async () => {
		await q('TRUNCATE send_pace');
		const [out] = await send();
		expect(out).toHaveLength(0);
		expect(peer.requests).toHaveLength(0);
		expect((await q(`SELECT count(*)::int AS n FROM send_pace`)).rows[0].n).toBe(0);
	});

	it('a slow Telegram and a long request timeout never let a second run send the same message', async () => {
		await queue(['131']);
		peer.delayMs = 7000; // the answer comes 7 s later, well after run A's 1 s deadline
		// A lease sized without the request timeout (1 s run + 100/29 s + 1 s margin ≈ 5.4 s) would
		// expire while A's request is still in flight, and run B (at 6 s) would send again.
		const tg = { baseUrl, token: TOKEN, requestTimeoutMs: 10_000 };
		const a = sendPending(t.db.pool, tg, { maxRunSeconds: 1, leaseMarginSeconds: 1 });
		await new Promise((r) => setTimeout(r, 6000));
		// B stands for another process (a queue-mode worker): a pool of its own, so it does not wait
		// for A the way a second run in A's process would (lib/telegram/activeRuns.ts)
		const other = new Pool(poolConfig(t.settings, t.db.host, 2));
		const b = await sendPending(other, tg, { maxRunSeconds: 1, leaseMarginSeconds: 1 }).finally(() => other.end());
		expect(b).toHaveLength(0);
		const [lease] = (await q(`SELECT extract(epoch FROM locked_until - created_at)::int AS s FROM notifications`)).rows;
		expect(lease.s).toBeGreaterThanOrEqual(12); // run 1 s + request timeout 10 s + margin 1 s
		const outA = await a;
		peer.delayMs = 0;
		expect(outA[0]).toMatchObject({ status: 'sent' });
		expect(peer.messages).toHaveLength(1);
	}, 30_000);

	it('an answer lost in the network (timeout) is retried and recorded as uncertain: at-least-once there', async () => {
		await queue(['141']);
		peer.delayMs = 1500;
		const [first] = await send({ retriesPerRun: 0, requestTimeoutMs: 1000 }, { options: { retriesPerRun: 0, requestTimeoutMs: 1000 } });
		expect(first[0].json).toMatchObject({ status: 'retry_later', error: 'network error: no answer within 1000 ms' });
		expect((await q(`SELECT status, uncertain_sends, last_uncertain_at IS NOT NULL AS at FROM notifications`)).rows[0]).toEqual({ status: 'pending', uncertain_sends: 1, at: true });
		await new Promise((r) => setTimeout(r, 700)); // the peer delivers the timed-out request meanwhile
		peer.delayMs = 0;
		await q(`UPDATE notifications SET next_attempt_at = NOW()`);
		const [second] = await send();
		expect(second[0].json).toMatchObject({ status: 'sent' });
		// the mentor got it twice: the case README "Delivery guarantees" states
		expect(peer.messagesTo('141')).toHaveLength(2);
	});
});
