'use strict';
/**
 * End to end in real n8n 2.40.7: the shipped template workflows/reference-sync.json reads CSV
 * files through n8n's own Read/Write Files From Disk + Extract From File nodes and syncs every
 * reference table with GetCourse Reference Data (Sync Versions); and a mentor change mid-course
 * made with Assign Mentor routes an answer handed in before the change to the old mentor and one
 * handed in after it to the new mentor, through the intake, processing and sending templates to
 * a Telegram Bot API peer on loopback.
 *
 *   npm run build && npx jest -c jest.e2e.config.js test/e2e/reference-sync.e2e.test.js
 *
 * n8n 2.x only reads files under N8N_RESTRICT_FILE_ACCESS_TO (default ~/.n8n-files): the test
 * points it at a temporary folder of its own. The pipeline part relies on the templates
 * intake.json (webhook path "getcourse"), processing.json (gcbProcessing001) and sending.json
 * (gcbSending000001) and on the harness's reference data (people).
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');
const rt = require('../../scripts/n8n');
const { CREDENTIALS } = require('../../dist/lib/credentialNames');

const { MARIA, PETR, BLOCKED, IVAN, OLGA, SEMEN, NOBODY, TRAINING, LESSON } = people;
const WF = { sync: 'gcbReferenceSync1', assign: 'gcbE2eAssignMnt1', processing: 'gcbProcessing001', sending: 'gcbSending000001' };
const files = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-refsync-files-'));
let ctx;

const csv = (rows) => rows.map((r) => r.join(',')).join('\n') + '\n';
function writeCsvs(extra = {}) {
	const write = (name, rows) => fs.writeFileSync(path.join(files, `${name}.csv`), csv(rows));
	write('mentors', [
		['email', 'first_name', 'last_name', 'telegram_id'],
		[MARIA.email, MARIA.first, MARIA.last, MARIA.chat],
		[PETR.email, PETR.first, PETR.last, PETR.chat],
		[BLOCKED.email, BLOCKED.first, 'Заблокированный (ушёл)', BLOCKED.chat],
		['anna.mentor@school.test', 'Анна', 'Новая', '100004'],
	]);
	write('students', [
		['user_id', 'email', 'first_name', 'last_name'],
		...[IVAN, OLGA, SEMEN, NOBODY].map((s) => [s.userId, s.email, s.first, s.last]),
		['45678910', 'vera@example.ru', 'Вера', 'Новая'],
		['45678911', 'not-an-email', 'Плохой', 'Адрес'],
	]);
	write('trainings', [['training_id', 'name'], [TRAINING.id, TRAINING.name], ['889901', 'Поток осень']]);
	write('lessons', [['lesson_id', 'training_id', 'name'], [LESSON.id, TRAINING.id, LESSON.name]]);
	write('mapping', [
		['student_email', 'mentor_email', 'training_id'],
		[IVAN.email, MARIA.email, TRAINING.id],
		[OLGA.email, PETR.email, TRAINING.id],
		[SEMEN.email, BLOCKED.email, TRAINING.id],
		['vera@example.ru', 'anna.mentor@school.test', ''],
	]);
	for (const [name, rows] of Object.entries(extra)) write(name, rows);
}

/** A small workflow of the test's own: Manual Trigger → Reference Data (Assign Mentor). */
function assignWorkflow() {
	return {
		id: WF.assign,
		name: 'e2e: assign a mentor',
		nodes: [
			{ id: 'e2e-assign-1', name: 'Run now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'e2e-assign-2',
				name: 'Assign Mentor',
				type: 'n8n-nodes-getcourse-bot.getCourseReferenceData',
				typeVersion: 1,
				position: [240, 0],
				parameters: { operation: 'assignMentor', student: OLGA.userId, mentor: MARIA.email, trainingId: TRAINING.id, from: '2026-02-10T00:00:00', timeZone: 'UTC' },
				credentials: { [CREDENTIALS.postgres.type]: { id: null, name: CREDENTIALS.postgres.name } },
			},
		],
		connections: { 'Run now': { main: [[{ node: 'Assign Mentor', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

beforeAll(async () => {
	writeCsvs();
	ctx = await setupE2E({ templates: ['intake', 'processing', 'sending'], label: 'refsync', n8nEnv: { N8N_RESTRICT_FILE_ACCESS_TO: files } });
	// The shipped reference template names its credential as lib/credentialNames.ts says; add one by
	// that name when the harness's credentials are named otherwise.
	const names = await rt.withPg(ctx.pg, ctx.n8nDb, async (c) => (await c.query(`SELECT name FROM credentials_entity WHERE type = $1`, [CREDENTIALS.postgres.type])).rows.map((r) => r.name));
	if (!names.includes(CREDENTIALS.postgres.name)) {
		await ctx.n8n.importCredentials([
			{
				id: 'gcbE2ePgCred0002',
				name: CREDENTIALS.postgres.name,
				type: CREDENTIALS.postgres.type,
				data: {
					hostExternal: ctx.pg.host,
					hostInternal: ctx.pg.host,
					environment: 'dev',
					port: ctx.pg.port,
					user: ctx.pg.user,
					password: ctx.pg.password || '',
					database: ctx.appDb,
					schema: ctx.schema,
					ssl: 'disable',
					connectionTimeout: 10,
				},
			},
		]);
	}
	const assignFile = path.join(files, 'assign-workflow.json');
	fs.writeFileSync(assignFile, JSON.stringify(assignWorkflow()));
	await ctx.n8n.importWorkflows([rt.templatePath('reference-sync'), assignFile], {
		publish: false,
		// the only change to the template: the folder its Settings node points at
		transform: (wf) => {
			if (wf.id !== WF.sync) return wf;
			const settings = wf.nodes.find((n) => n.name === 'Settings');
			settings.parameters.assignments.assignments.find((a) => a.name === 'folder').value = files;
			return wf;
		},
	});
	const stored = await rt.withPg(ctx.pg, ctx.n8nDb, async (c) => (await c.query(`SELECT id, nodes FROM workflow_entity WHERE id = ANY($1)`, [[WF.sync, WF.assign]])).rows);
	for (const wf of stored) {
		for (const node of wf.nodes) for (const ref of Object.values(node.credentials || {})) expect(ref.id).toBeTruthy();
	}
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
	fs.rmSync(files, { recursive: true, force: true });
}, 120000);

const summaryOf = (items) => items[items.length - 1];

describe('reference data in real n8n', () => {
	test('the reference-sync template syncs every table from CSV files read by n8n, and a second run changes nothing', async () => {
		const run = await ctx.n8n.execute(WF.sync);
		expect(run.output && run.output.status).toBe('success');
		const out = run.nodes;
		// Read/Write Files From Disk + Extract From File produced the rows
		expect(out['Extract students']).toHaveLength(6);
		expect(out['Extract students'][0]).toEqual({ user_id: IVAN.userId, email: IVAN.email, first_name: IVAN.first, last_name: IVAN.last });

		expect(out['Sync mentors'].map((i) => `${i.key}:${i.action}`)).toEqual([`${BLOCKED.email}:versioned`, 'anna.mentor@school.test:created', 'undefined:summary']);
		expect(out['Sync mentors'][0]).toMatchObject({ changed: ['last_name'], old: { last_name: BLOCKED.last }, new: { last_name: 'Заблокированный (ушёл)' } });
		expect(summaryOf(out['Sync mentors'])).toMatchObject({ table: 'mentors', created: 1, versioned: 1, unchanged: 2, closed: 0, rejected: 0 });
		// a bad row is an error item; the other rows are applied (the template continues on error)
		expect(out['Sync students'].map((i) => i.action || 'error')).toEqual(['created', 'error', 'summary']);
		expect(out['Sync students'][1].error).toBe('Row 5 of students is invalid: email "not-an-email" is not an email address');
		expect(summaryOf(out['Sync students'])).toMatchObject({ created: 1, unchanged: 4, rejected: 1 });
		expect(summaryOf(out['Sync trainings'])).toMatchObject({ created: 1, unchanged: 1 });
		expect(summaryOf(out['Sync lessons'])).toMatchObject({ created: 0, versioned: 0, unchanged: 1 });
		expect(out['Sync mapping'].map((i) => `${i.key}:${i.action}`)).toEqual(['vera@example.ru|*:created', 'undefined:summary']);

		const blocked = await ctx.q(`SELECT last_name, valid_from, valid_to FROM mentors WHERE email = $1 ORDER BY id`, [BLOCKED.email]);
		expect(blocked.map((r) => r.last_name)).toEqual([BLOCKED.last, 'Заблокированный (ушёл)']);
		expect(blocked[0].valid_to.getTime()).toBe(blocked[1].valid_from.getTime());
		expect(await ctx.q(`SELECT email FROM students WHERE email LIKE 'not-an-email%'`)).toEqual([]);

		const again = await ctx.n8n.execute(WF.sync);
		expect(again.output && again.output.status).toBe('success');
		for (const t of ['mentors', 'students', 'trainings', 'lessons', 'mapping']) {
			expect(summaryOf(again.nodes[`Sync ${t}`])).toMatchObject({ created: 0, versioned: 0, closed: 0 });
		}
	});

	test('a mentor change mid-course (Assign Mentor) routes the earlier answer to the old mentor and the later one to the new mentor', async () => {
		const assigned = await ctx.n8n.execute(WF.assign);
		expect(assigned.output && assigned.output.status).toBe('success');
		expect(assigned.nodes['Assign Mentor'][0]).toMatchObject({
			action: 'versioned',
			key: `${OLGA.email}|${TRAINING.id}`,
			old: { mentor_email: PETR.email },
			new: { mentor_email: MARIA.email, valid_from: '2026-02-10T00:00:00.000Z' },
		});
		const before = { answerId: '700000901', text: 'Ольга: ответ до смены наставника', ts64: Date.parse('2026-02-03T12:05:11Z') / 1000 };
		const after = { answerId: '700000902', text: 'Ольга: ответ после смены наставника', ts64: Date.parse('2026-02-15T09:00:00Z') / 1000 };
		for (const a of [before, after]) {
			const res = await ctx.post(techApiAnswer({ ...a, userId: OLGA.userId }));
			expect(res.status).toBe(200);
			expect(res.json).toMatchObject({ status: 'stored' });
		}
		await ctx.n8n.execute(WF.processing);
		await ctx.until('both notifications to be queued', async () => {
			const rows = await ctx.q(`SELECT e.answer_id FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = ANY($1)`, [[before.answerId, after.answerId]]);
			return rows.length === 2;
		});
		await ctx.n8n.execute(WF.sending);
		await ctx.until('both messages to reach the mentors', async () => ctx.peer.messages.filter((m) => m.text.includes('Ольга: ответ')).length === 2);
		const to = (chat) => ctx.peer.messagesTo(chat).map((m) => m.text).filter((t) => t.includes('Ольга: ответ'));
		expect(to(PETR.chat)).toEqual([expect.stringContaining(before.text)]);
		expect(to(MARIA.chat)).toEqual([expect.stringContaining(after.text)]);
	});
});
