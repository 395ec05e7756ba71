import { closeAllPools } from '../../lib/db/pool';
import { applySchema, listSchemaObjects } from '../../lib/db/schema';
import { normaliseSettings } from '../../lib/config';
import { createTestDb, type TestDb } from '../support/db';

let t: TestDb;
beforeAll(async () => {
	t = await createTestDb('schema');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);

describe('schema (migrations)', () => {
	it('creates every object of the spec', async () => {
		const o = await listSchemaObjects(t.db);
		expect(o.tables).toEqual(
			['application_logs', 'error_logs', 'lessons', 'mapping', 'mentors', 'chat_pace', 'notifications', 'schema_migrations', 'send_pace', 'students', 'trainings', 'webhook_events'].sort(),
		);
		expect(o.views).toEqual(['v_active_mappings', 'v_active_mentors', 'v_active_students', 'v_pending_notifications', 'v_pending_webhooks']);
		expect(o.triggers).toEqual(['update_lessons_updated_at', 'update_mapping_updated_at', 'update_mentors_updated_at', 'update_students_updated_at', 'update_trainings_updated_at']);
		for (const ix of ['idx_webhook_events_raw_payload', 'idx_webhook_events_unprocessed', 'idx_mentors_email', 'idx_students_email', 'idx_mapping_student_training', 'idx_mapping_active', 'idx_mentors_validity', 'uq_webhook_events_idempotency', 'uq_notifications_message_hash']) {
			expect(o.indexes).toContain(ix);
		}
	});

	it('is idempotent: a second and third run change nothing', async () => {
		const before = await listSchemaObjects(t.db);
		await q(`INSERT INTO mentors (email, telegram_id) VALUES ('keep@example.ru', 1)`);
		await applySchema(t.db);
		await Promise.all([applySchema(t.db), applySchema(t.db)]);
		expect(await listSchemaObjects(t.db)).toEqual(before);
		expect((await q(`SELECT count(*)::int AS n FROM mentors WHERE email = 'keep@example.ru'`)).rows[0].n).toBe(1);
	});

	it('enforces the closed set of notification statuses', async () => {
		await expect(q(`INSERT INTO notifications (mentor_id, type, message, status) VALUES (1, 't', 'm', 'bogus')`)).rejects.toThrow(/notifications_status_check/);
	});

	it('the trigger moves updated_at', async () => {
		const r = await q(`INSERT INTO students (user_id, email, updated_at) VALUES ('1', 'a@b.ru', NOW() - interval '1 day') RETURNING id, updated_at`);
		const after = await q(`UPDATE students SET first_name = 'X' WHERE id = $1 RETURNING updated_at`, [r.rows[0].id]);
		expect(after.rows[0].updated_at.getTime()).toBeGreaterThan(r.rows[0].updated_at.getTime() + 3600_000);
	});

	it('a mentor can be closed and re-versioned as the seed shows; views show only rows valid now', async () => {
		const r = await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) VALUES ('m@x.ru', 'Old', 111, NOW() - interval '10 days') RETURNING id`);
		await q(`UPDATE mentors SET valid_to = CURRENT_TIMESTAMP WHERE id = $1`, [r.rows[0].id]);
		await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from, valid_to) VALUES ('m@x.ru', 'New', 222, CURRENT_TIMESTAMP, '9999-12-31'::TIMESTAMPTZ)`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) VALUES ('future@x.ru', 'Later', 333, NOW() + interval '1 day')`);
		const active = await q(`SELECT first_name, telegram_id::int AS tg FROM v_active_mentors WHERE email IN ('m@x.ru', 'future@x.ru')`);
		expect(active.rows).toEqual([{ first_name: 'New', tg: 222 }]);
		const all = await q(`SELECT count(*)::int AS n FROM mentors WHERE email = 'm@x.ru'`);
		expect(all.rows[0].n).toBe(2);
	});

	it('v_active_mappings joins names of student, mentor and training valid now', async () => {
		await q(`INSERT INTO students (user_id, email, first_name) VALUES ('77', 'st@x.ru', 'Анна')`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id) VALUES ('me@x.ru', 'Олег', 42)`);
		await q(`INSERT INTO trainings (training_id, name) VALUES ('training-001', 'Поток')`);
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id) VALUES ('st@x.ru', 'me@x.ru', 'training-001')`);
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from, valid_to) VALUES ('st@x.ru', 'old@x.ru', 'training-001', NOW() - interval '9 days', NOW() - interval '1 day')`);
		const r = await q(`SELECT student_first_name, mentor_first_name, mentor_telegram_id::int AS tg, training_name FROM v_active_mappings WHERE training_id = 'training-001'`);
		expect(r.rows).toEqual([{ student_first_name: 'Анна', mentor_first_name: 'Олег', tg: 42, training_name: 'Поток' }]);
	});

	it('the planner uses the GIN index on raw_payload and the partial index on processed = false', async () => {
		await q(
			`INSERT INTO webhook_events (event_date, user_id, user_email, answer_id, raw_payload, processed, idempotency_key)
			 SELECT NOW(), g::text, 'u' || g || '@x.ru', g::text, jsonb_build_object('answer', jsonb_build_object('id', g, 'lesson_id', g % 50)),
			        g % 100 <> 0, 'k' || g
			   FROM generate_series(1, 5000) g`,
		);
		await q('ANALYZE webhook_events');
		const plan = async (sql: string) =>
			JSON.stringify((await q(`EXPLAIN (FORMAT JSON) ${sql}`)).rows[0]['QUERY PLAN']);
		expect(await plan(`SELECT id FROM webhook_events WHERE raw_payload @> '{"answer": {"id": 4242}}'`)).toContain('idx_webhook_events_raw_payload');
		expect(await plan(`SELECT id FROM webhook_events WHERE processed = FALSE ORDER BY id LIMIT 10`)).toContain('idx_webhook_events_unprocessed');
	});

	it('a custom schema name lives only in that schema, and a bad one is refused before any SQL', async () => {
		const row = await q(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [t.settings.schema]);
		expect(row.rows[0].n).toBe(12);
		expect(() => normaliseSettings({ schema: 'a"; DROP SCHEMA public; --' })).toThrow(/Invalid schema name/);
	});
});
