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
});
