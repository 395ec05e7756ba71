/**
 * Each of 500 GetCourse webhooks is delivered three times, shuffled, in executions of random
 * size, three at a time concurrently → exactly 500 events; then Resolve + Create + Send over the
 * loopback Bot API peer → exactly 500 messages, each in the chat of the student's mentor.
 */
import { closeAllPools } from '../../../lib/db/pool';
import { GetCourseCreateNotification } from '../../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseStoreEvent } from '../../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../../support/db';
import { processCall, techApiCall } from '../../support/fixtures';
import { runNode } from '../../support/nodeContext';
import { prng } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../../support/telegram-peer');

const TOKEN = '222333444:AAreliabilityDuplicateDeliveryToken';
const peer = createTelegramPeer({ token: TOKEN });
let t: TestDb;
let baseUrl: string;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const creds = () => ({ getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } as never });

const WEBHOOKS = 500;
const STUDENTS = 250;
const MENTORS = 100;
const mentorOfStudent = (s: number) => s % MENTORS;
const chatOfMentor = (m: number) => String(5_000_000 + m);

beforeAll(async () => {
	t = await createTestDb('rel_dup');
	baseUrl = await peer.start();
	await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) SELECT 'm' || g || '@school.ru', 'M' || g, 5000000 + g, '2000-01-01' FROM generate_series(0, $1 - 1) g`, [MENTORS]);
	await q(`INSERT INTO students (user_id, email, first_name, valid_from) SELECT (3000 + g)::text, 's' || g || '@example.ru', 'S' || g, '2000-01-01' FROM generate_series(0, $1 - 1) g`, [STUDENTS]);
	await q(`INSERT INTO trainings (training_id, name, valid_from) VALUES ('889900', 'Поток весна', '2000-01-01')`);
	await q(`INSERT INTO lessons (lesson_id, training_id, name, valid_from) VALUES ('2223334', '889900', '2.3 Практика', '2000-01-01')`);
	await q(`INSERT INTO mapping (student_email, mentor_email, valid_from) SELECT 's' || g || '@example.ru', 'm' || (g % $2) || '@school.ru', '2000-01-01' FROM generate_series(0, $1 - 1) g`, [STUDENTS, MENTORS]);
});
afterAll(async () => {
	await peer.stop();
	await t.drop();
	await closeAllPools();
});

/** Webhook k: a process call (4 of 5) or a Tech API event (1 of 5), student k % 250. */
function webhook(k: number) {
	const student = k % STUDENTS;
	if (k % 5 === 4) return techApiCall({ id: `'${900_000 + k}'`, user_id: 3000 + student }, { ts64: 1770109511 + k });
	return processCall({ answer_id: String(900_000 + k), user_id: String(3000 + student), user_email: `s${student}@example.ru` });
}

it('3× duplicate delivery of 500 webhooks, partly concurrent → 500 events → 500 messages, each to the right chat', async () => {
	const r = prng(20260203);
	const deliveries = r.shuffle([...Array(WEBHOOKS).keys(), ...Array(WEBHOOKS).keys(), ...Array(WEBHOOKS).keys()]);
	const chunks: number[][] = [];
	for (let i = 0; i < deliveries.length; ) {
		const size = r.int(1, 150);
		chunks.push(deliveries.slice(i, i + size));
		i += size;
	}
	const store = new GetCourseStoreEvent();
	const statuses: string[] = [];
	for (let i = 0; i < chunks.length; i += 3) {
		// three executions at once, as n8n runs concurrent webhook calls
		const outs = await Promise.all(chunks.slice(i, i + 3).map((c) => runNode(store, { items: c.map(webhook), credentials: creds() })));
		for (const [out] of outs) for (const o of out) statuses.push(o.json.status as string);
	}
	expect(statuses).toHaveLength(3 * WEBHOOKS);
	expect(statuses.filter((s) => s === 'stored')).toHaveLength(WEBHOOKS);
	expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(2 * WEBHOOKS);
	const ev = (await q(`SELECT count(*)::int AS n, sum(delivery_count)::int AS deliveries, count(DISTINCT answer_id)::int AS answers FROM webhook_events`)).rows[0];
	expect(ev).toEqual({ n: WEBHOOKS, deliveries: 3 * WEBHOOKS, answers: WEBHOOKS });

	const resolve = new GetCourseResolveMentor();
	const create = new GetCourseCreateNotification();
	for (let guard = 0; guard < 20; guard++) {
		const [resolved] = await runNode(resolve, { parameters: { batchSize: 120 }, credentials: creds() });
		if (!resolved.length) break;
		await runNode(create, { items: resolved, parameters: { template: 'answer={answer_id} student={student_email}' }, credentials: creds() });
	}
	expect((await q(`SELECT count(*)::int AS n FROM webhook_events WHERE processed AND error_message IS NULL`)).rows[0].n).toBe(WEBHOOKS);
	expect((await q(`SELECT count(*)::int AS n FROM notifications`)).rows[0].n).toBe(WEBHOOKS);

	const send = new GetCourseSendPending();
	for (let guard = 0; guard < 20; guard++) {
		const [out] = await runNode(send, {
			parameters: { maxRunSeconds: 20, options: { messagesPerSecond: 1000, perChatIntervalMs: 5, concurrency: 16, batchSize: 100 } },
			credentials: creds(),
		});
		if (!out.length) break;
	}
	const messages = peer.messages as Array<{ chat_id: string; text: string }>;
	expect(messages).toHaveLength(WEBHOOKS);
	const byAnswer = new Map<number, { chat_id: string; text: string }[]>();
	for (const m of messages) {
		const k = Number(/answer=(\d+)/.exec(m.text)![1]) - 900_000;
		byAnswer.set(k, [...(byAnswer.get(k) ?? []), m]);
	}
	expect(byAnswer.size).toBe(WEBHOOKS);
	for (let k = 0; k < WEBHOOKS; k++) {
		const got = byAnswer.get(k)!;
		expect(got).toHaveLength(1);
		const student = k % STUDENTS;
		expect(got[0].chat_id).toBe(chatOfMentor(mentorOfStudent(student)));
		expect(got[0].text).toContain(`student=s${student}@example.ru`);
	}
	expect((await q(`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent' AND telegram_message_id IS NOT NULL`)).rows[0].n).toBe(WEBHOOKS);
});
