import { loadMigrations } from '../../lib/db/migrate';
import { batchedText, planSteps } from '../../lib/db/migrationSteps';
import { splitStatements, topLevelWhere, withoutDirectives } from '../../lib/db/sqlStatements';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { schemaSql } = require('../../scripts/build-schema-sql');

describe('splitting a migration into statements', () => {
	it('ends statements at top-level semicolons only', () => {
		const sql = `-- a comment; not a statement
CREATE TABLE a (x text DEFAULT 'a;b', "we;ird" int); /* block ; /* nested ; */ still */
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN 1; END; $fn$;
DO $$ BEGIN PERFORM 1; END $$;
SELECT E'it\\'s; fine', 'it''s; fine';
UPDATE a SET x = 'y'`;
		const s = splitStatements(sql);
		expect(s.map((x) => x.text.split('\n')[0].slice(0, 20))).toEqual([
			'CREATE TABLE a (x te',
			'CREATE FUNCTION f() ',
			'DO $$ BEGIN PERFORM ',
			"SELECT E'it\\'s; fine",
			"UPDATE a SET x = 'y'",
		]);
		expect(s[0].line).toBe(2);
		expect(s[4].line).toBe(6);
	});

	it('keeps the directives written above a statement, and the checksum text leaves them out', () => {
		const sql = `CREATE TABLE t (id bigint);\n-- why\n-- gcb:batched\nUPDATE t SET id = id WHERE id > 0;\n`;
		const s = splitStatements(sql);
		expect(s.map((x) => x.directives)).toEqual([[], ['batched']]);
		expect(withoutDirectives(sql)).toBe(`CREATE TABLE t (id bigint);\n-- why\nUPDATE t SET id = id WHERE id > 0;\n`);
	});

	it('finds the WHERE of the statement, not one inside a subquery, string or comment', () => {
		const text = `UPDATE w SET a = (SELECT 1 WHERE true), b = 'where' -- where\n WHERE x OR y AND NOT EXISTS (SELECT 1 FROM n WHERE n.e = w.id)`;
		expect(text.slice(topLevelWhere(text), topLevelWhere(text) + 9)).toBe('WHERE x O');
		expect(topLevelWhere(`UPDATE w SET a = 1 -- no where here`)).toBe(-1);
	});
});

describe('planning the steps of a migration', () => {
	it('limits a batched UPDATE to an id range with its own condition kept whole (OR keeps its meaning)', () => {
		const [step] = planSteps(`-- gcb:batched\nUPDATE notifications n SET x = 1 FROM m WHERE a OR b;`);
		expect(step.kind).toBe('batched');
		expect(batchedText(step as never)).toBe(
			'UPDATE notifications n SET x = 1 FROM m WHERE ( a OR b\n) AND n.id >= $1::bigint AND n.id < $2::bigint',
		);
		const [plain] = planSteps(`-- gcb:batched\nUPDATE webhook_events SET y = 2`);
		expect(batchedText(plain as never)).toBe('UPDATE webhook_events SET y = 2\nWHERE webhook_events.id >= $1::bigint AND webhook_events.id < $2::bigint');
	});

	it('refuses a batched directive above anything but an UPDATE without RETURNING', () => {
		expect(() => planSteps(`-- gcb:batched\nDELETE FROM t;`)).toThrow(/must stand above an UPDATE/);
		expect(() => planSteps(`-- gcb:batched\nUPDATE t SET a = 1 RETURNING id;`)).toThrow(/must stand above an UPDATE/);
	});

	it('recognises index builds (named, optionally unique, IF NOT EXISTS), not ones already concurrent', () => {
		const steps = planSteps(`CREATE UNIQUE INDEX IF NOT EXISTS uq_x ON webhook_events (k);
CREATE INDEX "Odd Name" ON ONLY s.t USING GIN (p jsonb_path_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS c ON t (a);`);
		expect(steps.map((s) => (s.kind === 'index' ? [s.name, s.table, s.ifNotExists] : s.kind))).toEqual([
			['uq_x', 'webhook_events', true],
			['"Odd Name"', 's.t', false],
			'sql',
		]);
	});

	it('the shipped migrations: their big-table updates run batched, their webhook_events indexes can be built concurrently', () => {
		const steps = loadMigrations().flatMap((m) => m.steps);
		const batched = steps.filter((s) => s.kind === 'batched').map((s) => (s as { table: string }).table);
		expect(batched.filter((t) => t === 'webhook_events')).toHaveLength(6);
		const indexes = steps.filter((s) => s.kind === 'index' && (s as { table: string }).table === 'webhook_events');
		expect(indexes.length).toBeGreaterThanOrEqual(8);
	});
});

describe('checksums of shipped migrations', () => {
	it('stay those recorded in users\' databases (directives do not count) and schema.sql records the same', () => {
		const shipped: Record<number, string> = {
			1: '5af7c9042b6e579bcf5002e39c3aabd1f404bb8ea2622164127b217a36cbe544',
			2: '148a9edaa4bf76da9998f976d4f0e0a6742d3519d80f428f79ce056300022dd5',
			3: 'dd1f512eb6e9a050e9dde0a9037d0d63e0f727402694428fcef4d55d72d9ddbb',
		};
		const byVersion = Object.fromEntries(loadMigrations().map((m) => [m.version, m.checksum]));
		for (const [v, sum] of Object.entries(shipped)) expect({ v, sum: byVersion[v] }).toEqual({ v, sum });
		const sql: string = schemaSql();
		for (const m of loadMigrations()) expect(sql).toContain(`VALUES (${m.version}, '${m.name}', '${m.checksum}')`);
	});
});
