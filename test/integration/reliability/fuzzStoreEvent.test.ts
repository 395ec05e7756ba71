/**
 * 1,000 generated hostile GetCourse-like deliveries (seeded, reproducible) through the Store
 * Event node: nothing crashes, and every one is either stored (or a duplicate of one stored) or
 * answered invalid / 422 with a reason and a row in error_logs.
 */
import { closeAllPools } from '../../../lib/db/pool';
import { GetCourseStoreEvent } from '../../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../../support/db';
import { runNode } from '../../support/nodeContext';
import { prng } from './helpers';

let t: TestDb;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const node = new GetCourseStoreEvent();
const store = (items: Array<{ json: unknown }>) => runNode(node, { items: items as never, credentials: { getCourseBotPostgres: t.credential as never } });

beforeAll(async () => {
	t = await createTestDb('rel_fuzz');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

type R = ReturnType<typeof prng>;

const SQLISH = ["'; DROP TABLE webhook_events; --", "1' OR '1'='1", '$1', '$$; SELECT pg_sleep(10); $$', '\\x00', 'E\'\\\\\'', '); TRUNCATE error_logs; --'];
const BAD_DATES = ['2025-02-31 10:00:00', '31.02.2025 10:00', '2025-13-01 00:00:00', '9999999999999999', '-1', '0', 'вчера', 'NaN', 'Infinity', '2025-12-20T25:61:00Z', '1e308', '2025-12-20 14:03:11 MSK', ' ', '2025-12-20\u0000'];
const GOOD_DATES = ['2025-12-20 14:03:11', '20.12.2025 14:03', '2025-12-20T11:03:11Z', '1770109511', '2026-02-03T12:05:11+03:00'];

function hostileString(r: R): string {
	switch (r.int(0, 11)) {
		case 0: return '';
		case 1: return r.pick(SQLISH);
		case 2: return 'x'.repeat(r.int(51, 400)); // longer than an id column
		case 3: return 'ж'.repeat(r.int(10_000, 120_000)); // huge
		case 4: return `a\u0000b\u0000`; // NUL bytes
		case 5: return `\uD800lone${r.chance(0.5) ? '\uDFFF' : ''}surrogate\uDBFF`; // lone surrogates
		case 6: return '<b>html</b>&amp;<script>alert(1)</script>';
		case 7: return '   ';
		case 8: return '\u202Eright-to-left\u200B\uFEFF';
		case 9: return '{"json": {"answer": 1}}';
		case 10: return '%00%ff%fe';
		default: return String(r.int(1, 1e9));
	}
}

function junk(r: R, depth = 0): unknown {
	switch (r.int(0, depth > 3 ? 5 : 9)) {
		case 0: return hostileString(r);
		case 1: return r.pick([0, -1, 1.5, 1e21, -0, Number.MAX_SAFE_INTEGER + 2]);
		case 2: return r.chance(0.5);
		case 3: return null;
		case 4: return undefined;
		case 5: return r.pick(BAD_DATES);
		case 6: return [junk(r, depth + 1), junk(r, depth + 1)];
		case 7: return { nested: junk(r, depth + 1), ['__proto__']: { polluted: true }, constructor: 'x' };
		case 8: return JSON.parse('{"__proto__": {"isAdmin": true}, "a": [1, {"b": null}]}');
		default: return Array.from({ length: r.int(0, 30) }, () => r.int(0, 9));
	}
}

const FIELDS = ['user_id', 'user_email', 'answer_id', 'answer_status', 'answer_training_id', 'answer_lesson_id', 'answer_text', 'event_date'];

/** A plausible value (so a share of the deliveries is valid) or a hostile one. */
function field(r: R, name: string, k: number): unknown {
	if (r.chance(0.75)) {
		switch (name) {
			case 'user_id': return String(r.int(1, 50));
			case 'user_email': return r.pick(['ivan@example.ru', 'Olga.P@Example.RU', 'x+tag@school.ru']);
			case 'answer_id': return r.pick([String(k), `'${k}'`, `"${k}"`, ` ${k} `]);
			case 'answer_status': return r.pick(['new', 'accepted', 'NEW', '']);
			case 'event_date': return r.pick(GOOD_DATES);
			default: return r.chance(0.5) ? hostileString(r) : String(r.int(1, 1e6));
		}
	}
	return junk(r);
}

function processParams(r: R, k: number): Record<string, unknown> {
	const p: Record<string, unknown> = {};
	for (const f of FIELDS) if (!r.chance(0.08)) p[f] = field(r, f, k);
	if (r.chance(0.2)) p[hostileString(r).slice(0, 100) || 'empty'] = junk(r);
	return p;
}

function techApi(r: R, k: number): Record<string, unknown> {
	const answer: Record<string, unknown> = {
		id: r.chance(0.7) ? `'${k}'` : junk(r),
		status: r.chance(0.7) ? 'new' : junk(r),
		text: r.chance(0.5) ? hostileString(r) : junk(r),
		user_id: r.chance(0.7) ? r.int(1, 99_999_999) : junk(r),
		lesson_id: r.chance(0.5) ? r.int(1, 9_999_999) : junk(r),
		training_id: junk(r),
		created_at: r.chance(0.5) ? r.pick(GOOD_DATES) : junk(r),
		additional_fields: [{ required: r.pick([true, '1', null]) }],
	};
	const env: Record<string, unknown> = {
		ts: r.chance(0.5) ? '2026-02-03T12:05:11Z' : junk(r),
		ts64: r.chance(0.5) ? 1770109511 + k : junk(r),
		eventType: r.pick(['getcourse/lessonAnswerCreated', 'getcourse/answerCommentCreated', 'getcourse/unknown', junk(r)]),
		answer: r.chance(0.85) ? answer : junk(r),
	};
	if (r.chance(0.15)) env.comment = { answer_id: junk(r), comment_text: hostileString(r), lesson_data: junk(r) };
	return env;
}


function hostileItem(r: R, k: number): { json: unknown } {
	const shape = r.int(0, 7);
	const webhook = (query: unknown, body: unknown) => ({
		json: {
			headers: r.chance(0.8) ? { 'content-type': r.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain']), 'x-junk': junk(r) } : junk(r),
			params: {},
			query,
			body,
			webhookUrl: 'http://127.0.0.1/webhook/getcourse',
			executionMode: 'production',
		},
	});
	switch (shape) {
		case 0: return webhook(processParams(r, k), {});
		case 1: return webhook({}, processParams(r, k)); // form/JSON body already parsed
		case 2: return webhook({}, new URLSearchParams(Object.entries(processParams(r, k)).map(([a, b]) => [a, typeof b === 'string' ? b : JSON.stringify(b) ?? ''])).toString());
		case 3: return webhook({}, r.chance(0.5) ? { json: techApi(r, k) } : techApi(r, k));
		case 4: return webhook({}, r.chance(0.5) ? JSON.stringify({ json: JSON.stringify(techApi(r, k)) }) : '{"json": {broken');
		case 5: return webhook(junk(r), junk(r)); // nonsense in both places
		case 6: return { json: processParams(r, k) }; // a plain object from some other node
		default: return { json: r.chance(0.5) ? {} : { json: junk(r), body: junk(r) } };
	}
}

it('1,000 hostile payloads: no crash; each stored / duplicate, or invalid (422) with a reason and an error_logs row', async () => {
	const r = prng(424242);
	const items = Array.from({ length: 1000 }, (_, k) => hostileItem(r, 100_000 + k));
	const outcomes: Array<Record<string, unknown>> = [];
	// executions of mixed sizes, as webhooks arrive one by one or in batches
	for (let i = 0; i < items.length; ) {
		const size = r.pick([1, 1, 7, 50, 120]);
		const [out] = await store(items.slice(i, i + size));
		expect(out).toHaveLength(Math.min(size, items.length - i));
		out.forEach((o, j) => expect(o.pairedItem).toEqual({ item: j }));
		outcomes.push(...out.map((o) => o.json as Record<string, unknown>));
		i += size;
	}
	expect(outcomes).toHaveLength(1000);
	const count = (s: string) => outcomes.filter((o) => o.status === s).length;
	const stored = count('stored');
	const duplicate = count('duplicate');
	const invalid = count('invalid');
	expect(stored + duplicate + invalid).toBe(1000);
	expect(stored).toBeGreaterThan(100); // the generator does produce valid deliveries
	expect(invalid).toBeGreaterThan(100);
	for (const o of outcomes) {
		if (o.status === 'invalid') {
			expect(o.httpStatus).toBe(422);
			expect(typeof o.reason).toBe('string');
			expect((o.reason as string).length).toBeGreaterThan(5);
		} else {
			expect(o.httpStatus).toBe(200);
			expect(o.eventId).toMatch(/^\d+$/);
		}
	}
	const events = (await q(`SELECT count(*)::int AS n, sum(delivery_count)::int AS d FROM webhook_events`)).rows[0];
	expect(events).toEqual({ n: stored, d: stored + duplicate });
	const logs = (await q(`SELECT message, context FROM error_logs ORDER BY id`)).rows;
	expect(logs).toHaveLength(invalid);
	expect(logs.map((l) => l.message).sort()).toEqual(outcomes.filter((o) => o.status === 'invalid').map((o) => o.reason).sort());
	expect(logs.every((l) => l.context && l.context.status === 'invalid' && 'raw_payload' in l.context)).toBe(true);
	console.log(`fuzz: ${stored} stored, ${duplicate} duplicate, ${invalid} invalid (of 1,000)`);
	// the tables are still there and still work
	expect((await q(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [t.settings.schema])).rows[0].n).toBe(12);
});

// Regression: a Tech API eventType longer than its VARCHAR(100) column once failed the whole
// batch INSERT, losing every delivery of the execution.
it('an overlong Tech API eventType is one invalid (or truncated) item, not a failed execution', async () => {
	const env = (id: string, eventType: string) => ({
		json: { headers: {}, query: {}, body: { eventType, ts64: 1770109511, answer: { id, status: 'new', user_id: 1, text: 't' } } },
	});
	const [out] = await store([env('long-1', 'getcourse/' + 'x'.repeat(200)), env('long-2', 'getcourse/lessonAnswerCreated')]);
	expect(out[1].json.status).toBe('stored');
	expect(['invalid', 'stored']).toContain(out[0].json.status);
});

// Regression: a value nested thousands of levels deep (JSON.parse accepts it) once made
// JSON.stringify throw and failed the whole execution instead of one item.
it('a deeply nested value is one invalid item, not a failed execution', async () => {
	const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000));
	const [out] = await store([
		{ json: { headers: {}, query: {}, body: { user_id: deep, user_email: 'a@b.ru', answer_id: 'deep-1', event_date: '2025-12-20 14:03:11' } } },
		{ json: { headers: {}, query: {}, body: { user_id: '7', user_email: 'a@b.ru', answer_id: 'deep-2', event_date: '2025-12-20 14:03:11' } } },
	]);
	expect(out.map((o) => o.json.status)).toEqual(['invalid', 'stored']);
});
