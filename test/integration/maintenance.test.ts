import { closeAllPools } from '../../lib/db/pool';
import { GetCourseMaintenance } from '../../nodes/GetCourseMaintenance/GetCourseMaintenance.node';
import { createTestDb, type TestDb } from '../support/db';
import { runNode } from '../support/nodeContext';

let t: TestDb;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const run = (parameters: Record<string, unknown>) =>
	runNode(new GetCourseMaintenance(), { parameters, credentials: { getCourseBotPostgres: t.credential as never } });

beforeAll(async () => {
	t = await createTestDb('maint');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

describe('GetCourse Maintenance', () => {
	it('deletes application logs older than 30 days and error logs older than 90, keeping the rest', async () => {
		await q(`INSERT INTO application_logs (source, message, created_at) VALUES ('t', 'old', NOW() - interval '31 days'), ('t', 'new', NOW() - interval '29 days')`);
		await q(`INSERT INTO error_logs (source, message, created_at) VALUES ('t', 'old', NOW() - interval '91 days'), ('t', 'kept', NOW() - interval '31 days')`);
		const [out] = await run({ operation: 'cleanup' });
		expect(out[0].json).toMatchObject({ deleted: { applicationLogs: 1, errorLogs: 1 } });
		expect((await q(`SELECT message FROM application_logs WHERE source = 't'`)).rows).toEqual([{ message: 'new' }]);
		// the run itself is one application_logs row
		expect((await q(`SELECT level, message FROM application_logs WHERE source = 'getcourse-maintenance'`)).rows).toEqual([
			{ level: 'info', message: expect.stringMatching(/^run success in \d+ ms: applicationLogs 1, errorLogs 1$/) },
		]);
		expect((await q(`SELECT message FROM error_logs`)).rows).toEqual([{ message: 'kept' }]);
		const [custom] = await run({ operation: 'cleanup', errorLogDays: 30 });
		expect(custom[0].json).toMatchObject({ deleted: { errorLogs: 1 } });
	});

	it('reports the backlog', async () => {
		await q(`INSERT INTO webhook_events (event_date, user_id, answer_id, idempotency_key) VALUES (NOW(), '1', '1', 'a'), (NOW(), '2', '2', 'b')`);
		await q(`INSERT INTO notifications (mentor_id, type, message, status) VALUES (1, 't', 'm', 'pending'), (1, 't', 'm', 'sent')`);
		const [out] = await run({ operation: 'stats' });
		expect(out[0].json).toMatchObject({ pendingWebhooks: 2, notifications: { pending: 1, sent: 1, failed: 0 } });
		expect((out[0].json.tables as Array<{ table: string }>).map((x) => x.table)).toContain('webhook_events');
	});

	it('Set Up Database adopts events waiting longer than Backlog Days (dry run: counts only); Retry Unresolved with the Event ID of one puts it back', async () => {
		await q(`TRUNCATE webhook_events RESTART IDENTITY`);
		await q(`INSERT INTO webhook_events (event_date, user_id, answer_id, idempotency_key, created_at)
		         VALUES (NOW() - interval '40 days', '1', '1', 'old1', NOW() - interval '40 days'),
		                (NOW() - interval '10 days', '1', '2', 'old2', NOW() - interval '10 days'),
		                (NOW() - interval '40 days', '1', '3', 'fresh', NOW() - interval '1 hour')`); // an old answer resubmitted today is news
		const [dry] = await run({ operation: 'setupDatabase', dryRun: true, backlogDays: 7 });
		expect(dry[0].json).toMatchObject({ dryRun: true, backlog: { days: 7, wouldAdopt: 2 } });
		const [month] = await run({ operation: 'setupDatabase', backlogDays: 30 });
		expect(month[0].json).toMatchObject({ backlog: { days: 30, adopted: 1 } });
		const [week] = await run({ operation: 'setupDatabase' });
		expect(week[0].json).toMatchObject({ backlog: { days: 7, adopted: 1 } });
		expect((await q(`SELECT idempotency_key, processed, skip_reason FROM webhook_events ORDER BY id`)).rows).toEqual([
			{ idempotency_key: 'old1', processed: true, skip_reason: 'backlog' },
			{ idempotency_key: 'old2', processed: true, skip_reason: 'backlog' },
			{ idempotency_key: 'fresh', processed: false, skip_reason: null },
		]);
		const [retried] = await run({ operation: 'retryUnresolved', eventId: '2' });
		expect(retried[0].json).toMatchObject({ requeued: 1, eventIds: ['2'] });
		expect((await q(`SELECT processed, skip_reason FROM webhook_events WHERE id = 2`)).rows).toEqual([{ processed: false, skip_reason: null }]);
	});
});
