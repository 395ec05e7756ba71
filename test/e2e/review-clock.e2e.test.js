'use strict';
/**
 * The review clock end to end, through `npm start` (node scripts/start.js) as a school would try
 * it: GETCOURSE_REVIEW_HOURS=0.05 (a 3-minute deadline) publishes workflows/review-clock.json
 * beside the full pipeline; GetCourse calls come in on the printed webhook URL; Telegram is the
 * loopback Bot API peer. Time passes by moving the reviews' deadlines back in the database (the
 * schedule runs every minute): an unchecked answer gets one reminder, then one escalation; an
 * answer accepted in time gets neither; a resubmission restarts the clock.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const rt = require('../../scripts/n8n');
const { e2ePostgres, people, TOKEN } = require('../support/e2e-harness');
const { createTelegramPeer } = require('../support/telegram-peer');

const REPO = rt.REPO_DIR;
const { MARIA, IVAN, TRAINING, LESSON } = people;
const STAFF = '-100777';
const SCHOOL = 'https://school.getcourse.ru';
const SECRET = 'e2e-review-clock-secret-not-real-42';
const SINCE = '2020-01-01T00:00:00Z';
const suffix = rt.randomId(8).toLowerCase();
const SCHEMA = `e2e_review_${suffix}`;
const N8N_DB = `n8n_e2e_review_${suffix}`;

let pgServer;
let app;
let peer;
let dataDir;
let child;
let output = '';
let exit;
let webhook;

const shown = () => output.split(SECRET).join('***').split('\n').slice(-60).join('\n');
const q = async (sql, params = []) => (await app.query(sql, params)).rows;

async function until(what, fn, timeoutMs = 150000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (exit) throw new Error(`npm start exited (${JSON.stringify(exit)}) while waiting for ${what}:\n${shown()}`);
		const v = await fn();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${shown()}`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

/** A GetCourse process "Вызвать URL" call, as typed into GetCourse (docs/review-clock.md). */
const call = (fields) =>
	rt.httpRequest(
		`${webhook}&${new URLSearchParams({
			user_id: IVAN.userId,
			user_email: IVAN.email,
			answer_lesson_id: LESSON.id,
			answer_training_id: TRAINING.id,
			event_date: '2026-02-03 15:10:00',
			...fields,
		})}`,
	);
const mentorMessages = (marker) => peer.messagesTo(MARIA.chat).filter((m) => m.text.includes(marker));
const reviewsOf = (answerId) => q(`SELECT * FROM reviews WHERE answer_id = $1 ORDER BY id`, [answerId]);
const noticesOf = (answerId, type) =>
	q(`SELECT n.* FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = $1 AND n.type = $2 ORDER BY n.id`, [answerId, type]);
/** Waits for the review clock to run once more (its application_logs row). */
async function nextClockRun(what) {
	const [{ last }] = await q(`SELECT COALESCE(max(id), 0)::bigint AS last FROM application_logs WHERE source = 'getcourse-review-clock'`);
	await until(`a review clock run (${what})`, async () => (await q(`SELECT 1 FROM application_logs WHERE source = 'getcourse-review-clock' AND id > $1`, [last])).length > 0);
}

beforeAll(async () => {
	if (!fs.existsSync(path.join(REPO, 'dist/lib/config.js'))) throw new Error('Build the package first (npm run build)');
	await rt.ensureRuntime();
	pgServer = await e2ePostgres();
	const pg = pgServer.pg;
	const database = process.env.E2E_APP_DB || process.env.TEST_PG_DATABASE || 'test';
	await rt.createDatabase(database, pg);
	app = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password || undefined, database });
	await app.connect();
	peer = createTelegramPeer({ token: TOKEN });
	const peerUrl = await peer.start();

	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-review-e2e-'));
	const [n8nPort, brokerPort] = [await rt.freePort(), await rt.freePort()];
	const env = { ...process.env };
	for (const key of Object.keys(env)) if (/^(POSTGRES_|TEST_PG_|E2E_PG_|N8N_|SERVER_ENV$|TELEGRAM_|GETCOURSE_)/.test(key)) delete env[key];
	Object.assign(env, {
		POSTGRES_HOST_EXTERNAL: pg.host,
		POSTGRES_HOST_INTERNAL: pg.host,
		SERVER_ENV: 'dev',
		POSTGRES_PORT: String(pg.port),
		POSTGRES_USER: pg.user,
		POSTGRES_PASSWORD: pg.password || '',
		POSTGRES_DB: database,
		POSTGRES_SCHEMA: SCHEMA,
		N8N_DB_NAME: N8N_DB,
		N8N_ENCRYPTION_KEY: rt.randomId(32),
		N8N_PORT: String(n8nPort),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		TELEGRAM_BOT_TOKEN: TOKEN,
		TELEGRAM_API_BASE_URL: peerUrl,
		GETCOURSE_SHARED_SECRET: SECRET,
		GETCOURSE_STAFF_CHAT_ID: STAFF,
		GETCOURSE_REVIEW_HOURS: '0.05',
		GETCOURSE_SCHOOL_ADDRESS: SCHOOL,
		GETCOURSE_BOT_DATA_DIR: dataDir,
		GETCOURSE_BOT_QUIET: '1',
	});
	if (process.env.GETCOURSE_BOT_CACHE) env.GETCOURSE_BOT_CACHE = process.env.GETCOURSE_BOT_CACHE;
	child = spawn(process.execPath, [path.join(REPO, 'scripts/start.js'), '--no-build'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout.on('data', (c) => (output += c));
	child.stderr.on('data', (c) => (output += c));
	child.on('exit', (code, signal) => (exit = { code, signal }));
	await until('the ready banner', () => /Ctrl-C stops n8n/.test(output), 10 * 60 * 1000);
	webhook = /Webhook: +(\S+)/.exec(output)[1];

	await app.query(`SET search_path TO ${rt.quoteIdentifier(SCHEMA)}`);
	await q(`INSERT INTO mentors (email, first_name, last_name, telegram_id, valid_from) VALUES ($1, $2, $3, $4, $5)`, [MARIA.email, MARIA.first, MARIA.last, MARIA.chat, SINCE]);
	await q(`INSERT INTO students (user_id, email, first_name, last_name, valid_from) VALUES ($1, $2, $3, $4, $5)`, [IVAN.userId, IVAN.email, IVAN.first, IVAN.last, SINCE]);
	await q(`INSERT INTO trainings (training_id, name, valid_from) VALUES ($1, $2, $3)`, [TRAINING.id, TRAINING.name, SINCE]);
	await q(`INSERT INTO lessons (lesson_id, training_id, name, valid_from) VALUES ($1, $2, $3, $4)`, [LESSON.id, TRAINING.id, LESSON.name, SINCE]);
	await q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ($1, $2, $3, $4)`, [IVAN.email, MARIA.email, TRAINING.id, SINCE]);
}, 12 * 60 * 1000);

afterAll(async () => {
	if (child && !exit) {
		try {
			process.kill(-child.pid, 'SIGINT');
		} catch {}
		const deadline = Date.now() + 60000;
		while (!exit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
		if (!exit) {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {}
		}
	}
	if (app) {
		await app.query(`DROP SCHEMA IF EXISTS ${rt.quoteIdentifier(SCHEMA)} CASCADE`).catch(() => undefined);
		await app.end().catch(() => undefined);
	}
	if (pgServer) {
		await rt.dropDatabase(N8N_DB, pgServer.pg).catch(() => undefined);
		await pgServer.stop();
	}
	if (peer) await peer.stop();
	if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}, 120000);

describe('the review clock through npm start (GETCOURSE_REVIEW_HOURS=0.05)', () => {
	test('npm start publishes the review clock with the deadline, staff chat and school address from the environment', async () => {
		expect(output).toMatch(/review clock on: answers are due 0\.05 h after they arrive/);
		const rows = await rt.withPg(pgServer.pg, N8N_DB, async (c) => (await c.query(`SELECT nodes, "activeVersionId" FROM workflow_entity WHERE id = 'gcbReviewClock01'`)).rows);
		expect(rows).toHaveLength(1);
		expect(rows[0].activeVersionId).toBeTruthy();
		const remind = rows[0].nodes.find((n) => n.name === 'Reminders and escalations');
		expect(remind.parameters).toMatchObject({ checkWithinHours: 0.05, staffChatId: STAFF, schoolAddress: SCHOOL });
	});

	test('unchecked: one reminder, then one escalation; accepted in time: neither; a resubmission restarts the clock', async () => {
		for (const [answer, text] of [
			['RA', 'Ответ А'],
			['RB', 'Ответ Б'],
			['RC', 'Первая версия'],
		]) {
			const res = await call({ answer_id: answer, answer_status: 'new', answer_text: text });
			expect({ answer, status: res.status, body: res.json }).toMatchObject({ answer, status: 200, body: { status: 'stored' } });
		}
		await until('three notifications to the mentor', () => mentorMessages('Новое домашнее задание').length === 3);
		// the mentor's message has the «Открыть урок» button
		expect(mentorMessages('Новое домашнее задание')[0].reply_markup).toEqual({
			inline_keyboard: [[{ text: 'Открыть урок', url: `${SCHOOL}/pl/teach/control/lesson/view?id=${LESSON.id}` }]],
		});

		// RB is accepted in time (a process on the status change); RC is handed in again
		expect((await call({ answer_id: 'RB', answer_status: 'accepted', answer_text: '' })).json).toMatchObject({ status: 'stored' });
		expect((await call({ answer_id: 'RC', answer_status: 'new', answer_text: 'Исправленная версия' })).json).toMatchObject({ status: 'stored' });
		await until('the resubmission notification', () => mentorMessages('Повторная сдача').length === 1);
		expect((await reviewsOf('RB'))[0]).toMatchObject({ closed_by: 'accepted' });
		await until('deadlines for every review', async () => (await q(`SELECT count(*)::int AS n FROM reviews WHERE deadline_at IS NULL`))[0].n === 0);

		const [rc1, rc2] = await reviewsOf('RC');
		expect(rc1).toMatchObject({ closed_by: 'resubmission', closed_by_event_id: rc2.event_id });
		expect(rc2).toMatchObject({ closed_at: null, is_resubmission: true });
		expect(rc2.opened_at.getTime()).toBeGreaterThan(rc1.opened_at.getTime());
		expect(rc2.deadline_at.getTime() - rc2.opened_at.getTime()).toBe(3 * 60_000); // its own 3 minutes
		expect(rc2.deadline_at.getTime()).toBeGreaterThan(rc1.deadline_at.getTime());

		// time passes: RA is past its deadline; so are the closed reviews of RB and the first RC
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '1 second', escalate_at = NOW() + interval '1 hour' WHERE answer_id = 'RA'`);
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '1 hour', escalate_at = NOW() - interval '1 minute' WHERE closed_at IS NOT NULL`);
		await until('the reminder for RA', () => mentorMessages('Ответ ждёт проверки').length === 1);
		const reminder = mentorMessages('Ответ ждёт проверки')[0];
		expect(reminder.text).toContain(`Студент: ${IVAN.first} ${IVAN.last} (${IVAN.email})`);
		expect(reminder.text).toContain(`Урок: ${LESSON.name}`);
		expect(reminder.text).toMatch(/Ждёт: (меньше минуты|\d+ мин)/);
		expect(reminder.reply_markup.inline_keyboard[0][0].text).toBe('Открыть урок');

		// twice the deadline for RA; the second RC passes its own deadline
		await q(`UPDATE reviews SET escalate_at = NOW() - interval '1 second' WHERE answer_id = 'RA'`);
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '1 second', escalate_at = NOW() + interval '1 hour' WHERE answer_id = 'RC' AND closed_at IS NULL`);
		await until('the escalation for RA', () => peer.messagesTo(STAFF).filter((m) => m.text.includes('Ответ не проверен вовремя')).length === 1);
		await until('the reminder for the resubmission', () => mentorMessages('Повторная сдача ждёт проверки').length === 1);
		const escalation = peer.messagesTo(STAFF).find((m) => m.text.includes('Ответ не проверен вовремя'));
		expect(escalation.text).toContain(`Наставник: ${MARIA.first} ${MARIA.last} (${MARIA.email})`);
		expect(escalation.text).toContain(`Студент: ${IVAN.first} ${IVAN.last}`);

		// two more runs of the clock: nothing is repeated
		await nextClockRun('after the escalation');
		await nextClockRun('once more');
		expect({
			RA: [(await noticesOf('RA', 'review_reminder')).length, (await noticesOf('RA', 'review_escalation')).length],
			RB: [(await noticesOf('RB', 'review_reminder')).length, (await noticesOf('RB', 'review_escalation')).length],
			RC: [(await noticesOf('RC', 'review_reminder')).length, (await noticesOf('RC', 'review_escalation')).length],
		}).toEqual({ RA: [1, 1], RB: [0, 0], RC: [1, 0] });
		const rcReminder = await noticesOf('RC', 'review_reminder');
		expect(rcReminder[0].webhook_event_id).toBe(rc2.event_id);
		expect(mentorMessages('ждёт проверки')).toHaveLength(2);
		expect(peer.messagesTo(STAFF).filter((m) => m.text.includes('Ответ не проверен вовремя'))).toHaveLength(1);
		expect(await q(`SELECT count(*)::int AS n FROM notifications WHERE type LIKE 'review_%' AND status <> 'sent'`)).toEqual([{ n: 0 }]);
	});
});
