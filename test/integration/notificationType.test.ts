/**
 * Create Notification's Notification Type, now a list (Homework Submitted, Custom Type): the
 * default writes homework_submitted, a custom type a second notification per event beside it,
 * a type the package writes itself or a malformed name is refused, and a workflow saved when the
 * field was free text keeps its own type.
 */
import { closeAllPools } from '../../lib/db/pool';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, seedReference, type TestDb } from '../support/db';
import { processCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';

let t: TestDb;
const creds = () => ({ getCourseBotPostgres: t.credential as never });
const create = (items: { json: unknown }[], parameters: Record<string, unknown> = {}) =>
	runNode(new GetCourseCreateNotification(), { items: items as never, parameters, credentials: creds(), continueOnFail: true });

beforeAll(async () => {
	t = await createTestDb('notiftype');
	await seedReference(t.db, {
		mentors: [{ email: 'maria@school.ru', telegram_id: 1001 }],
		students: [{ user_id: '45678901', email: 'ivan@example.ru' }],
		mapping: [{ student_email: 'ivan@example.ru', mentor_email: 'maria@school.ru', training_id: null }],
	});
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

it('offers readable types, writes the chosen one, refuses reserved and malformed names', async () => {
	const prop = new GetCourseCreateNotification().description.properties.find((p) => p.name === 'notificationType')!;
	expect(prop.type).toBe('options');
	expect((prop.options as Array<{ name: string; value: string }>).map((o) => [o.name, o.value])).toEqual([
		['Custom Type', 'custom'],
		['Homework Submitted', 'homework_submitted'],
	]);

	await runNode(new GetCourseStoreEvent(), { items: [processCall({ answer_id: '1' })], credentials: creds() });
	const [resolved] = await runNode(new GetCourseResolveMentor(), { credentials: creds() });
	expect(resolved).toHaveLength(1);

	const [first] = await create(resolved);
	expect(first[0].json.status).toBe('pending');
	const [copy] = await create(resolved, { notificationType: 'custom', customNotificationType: 'homework_copy' });
	expect(copy[0].json.status).toBe('pending');
	const [legacy] = await create(resolved, { notificationType: 'legacy_free_text' });
	expect(legacy[0].json.status).toBe('pending');
	const [again] = await create(resolved, { notificationType: 'custom', customNotificationType: 'homework_copy' });
	expect(again[0].json.status).toBe('duplicate');
	const types = (await t.db.pool.query(`SELECT type FROM notifications ORDER BY id`)).rows.map((r) => r.type);
	expect(types).toEqual(['homework_submitted', 'homework_copy', 'legacy_free_text']);

	const [reserved] = await create(resolved, { notificationType: 'custom', customNotificationType: 'review_reminder' });
	expect(String(reserved[0].json.error)).toContain('Custom Type Name "review_reminder" is a type the package writes itself');
	const [bad] = await create(resolved, { notificationType: 'custom', customNotificationType: 'two words' });
	expect(String(bad[0].json.error)).toContain('use 1-50 letters, digits or underscores');
	const [empty] = await create(resolved, { notificationType: 'custom' });
	expect(String(empty[0].json.error)).toContain('Custom Type Name must not be empty');
	expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM notifications`)).rows[0].n).toBe(3);
});
