import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { normaliseSettings } from '../../lib/config';
import { migrate, loadMigrations } from '../../lib/db/migrate';
import { closeAllPools, getDb, type Db } from '../../lib/db/pool';
import { listSchemaObjects } from '../../lib/db/schema';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { loadStartingPoint, startEmbedded, STARTING_POINTS, type PgServer, type StartingPoint } from '../support/migrationFixtures';
import { runNode } from '../support/nodeContext';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('../support/pgEnv');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../support/telegram-peer');

const TOKEN = '123456789:AAEfakeTokenForMigrationTests_xyz';
const TABLES = ['mentors', 'students', 'trainings', 'lessons', 'mapping', 'webhook_events', 'notifications', 'application_logs', 'error_logs'];
const peer = createTelegramPeer({ token: TOKEN });
let peerUrl: string;

const servers: PgServer[] = [];
const machine = (): PgServer => ({ label: 'machine PostgreSQL', ...testPgConfig(), stop: async () => undefined });

beforeAll(async () => {
	peerUrl = await peer.start();
	servers.push(machine(), await startEmbedded());
}, 120_000);
afterAll(async () => {
	await closeAllPools();
	await peer.stop();
	for (const s of servers.splice(0)) await s.stop();
});

function dbFor(server: PgServer, schema: string): { db: Db; credential: Record<string, unknown> } {
	const credential = {
		hostExternal: server.host,
		port: server.port,
		user: server.user,
		password: server.password,
		database: server.database,
		schema,
		connectionTimeout: 10,
	};
	return { db: getDb(normaliseSettings(credential)), credential };
}

async function counts(db: Db, tables: string[]): Promise<Record<string, number>> {
	const out: Record<string, number> = {};
	for (const t of tables) {
		const r = await db.pool.query(
			`SELECT CASE WHEN to_regclass($1) IS NULL THEN -1 ELSE (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', $1), false, true, '')))[1]::text::int END AS n`,
			[`"${db.settings.schema}"."${t}"`],
		);
		out[t] = r.rows[0].n;
	}
	return out;
}

async function columns(db: Db): Promise<Record<string, string[]>> {
	const r = await db.pool.query<{ table_name: string; cols: string[] }>(
		`SELECT table_name, array_agg(column_name::text ORDER BY column_name) AS cols FROM information_schema.columns
		  WHERE table_schema = $1 AND table_name = ANY($2) GROUP BY table_name`,
		[db.settings.schema, TABLES],
	);
	return Object.fromEntries(r.rows.map((x) => [x.table_name, x.cols]));
}

async function dropSchema(server: PgServer, schema: string) {
	const c = new Client({ ...server });
	await c.connect();
	await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	await c.end();
}

const serverLabels = ['machine PostgreSQL', 'embedded PostgreSQL'];

describe.each(serverLabels)('migrations on the %s', (label) => {
	const server = () => servers.find((s) => s.label === label) as PgServer;
	let reference: { cols: Record<string, string[]>; objects: Awaited<ReturnType<typeof listSchemaObjects>> };

	beforeAll(async () => {
		const schema = `t_mig_ref_${randomBytes(3).toString('hex')}`;
		const { db } = dbFor(server(), schema);
		await migrate(db);
		reference = { cols: await columns(db), objects: await listSchemaObjects(db) };
		await dropSchema(server(), schema);
	});

	it.each(Object.keys(STARTING_POINTS) as StartingPoint[])('init upgrades %s in place, keeping every row; a second init is a no-op', async (point) => {
		const schema = `t_mig_${point.replace(/[^a-z0-9]/g, '_')}_${randomBytes(3).toString('hex')}`;
		await loadStartingPoint(server(), schema, point);
		const { db } = dbFor(server(), schema);
		try {
			const extra = point === 'seed-v2' ? ['legacy_users'] : [];
			const before = await counts(db, [...TABLES, ...extra]);

			const plan = await migrate(db, { dryRun: true });
			expect(plan.origin).toBe(point);
			expect(plan.applied).toEqual([]);
			expect(plan.pending.map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version));
			expect(await counts(db, [...TABLES, ...extra])).toEqual(before); // the dry run wrote nothing

			const first = await migrate(db);
			expect(first.applied.map((a) => a.version)).toEqual(loadMigrations().map((m) => m.version));
			const after = await counts(db, [...TABLES, ...extra]);
			for (const t of [...TABLES, ...extra]) expect({ t, n: after[t] }).toEqual({ t, n: Math.max(before[t], 0) });

			// Same objects as a schema made from nothing (the seed keeps its extra indexes and table)
			const cols = await columns(db);
			for (const t of TABLES) expect({ t, cols: reference.cols[t].filter((c) => !cols[t].includes(c)) }).toEqual({ t, cols: [] });
			const objects = await listSchemaObjects(db);
			expect(objects.views).toEqual(reference.objects.views);
			expect(objects.triggers).toEqual(reference.objects.triggers);
			for (const ix of reference.objects.indexes) expect(objects.indexes).toContain(ix);

			const second = await migrate(db);
			expect(second.origin).toBe('managed');
			expect(second.applied).toEqual([]);
			expect(await listSchemaObjects(db)).toEqual(objects);
		} finally {
			await dropSchema(server(), schema);
		}
	});

	it('a seed database: pending events are processed normally afterwards, the sent notification is never re-sent', async () => {
		const schema = `t_mig_pipe_${randomBytes(3).toString('hex')}`;
		await loadStartingPoint(server(), schema, 'seed-v2');
		const { db, credential } = dbFor(server(), schema);
		try {
			await migrate(db);
			const q = async (sql: string) => (await db.pool.query(sql)).rows;
			expect(await q(`SELECT id::int, idempotency_key, processed FROM webhook_events ORDER BY id`)).toEqual([
				{ id: 1, idempotency_key: 'legacy:1', processed: true },
				{ id: 2, idempotency_key: 'legacy:2', processed: false },
				{ id: 3, idempotency_key: 'legacy:3', processed: false },
			]);
			expect(await q(`SELECT status, chat_id, telegram_message_id FROM notifications`)).toEqual([
				{ status: 'sent', chat_id: '200001', telegram_message_id: '5551' },
			]);

			peer.reset();
			const creds = { getCourseBotPostgres: credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl: peerUrl } };
			const [resolved] = await runNode(new GetCourseResolveMentor(), { credentials: creds });
			expect(resolved.map((i) => (i.json as { answer: { id: string } }).answer.id).sort()).toEqual(['800002', '800003']);
			await runNode(new GetCourseCreateNotification(), { items: resolved, credentials: creds });
			const [sent] = await runNode(new GetCourseSendPending(), { parameters: { maxRunSeconds: 10 }, credentials: creds });
			expect(sent.map((i) => i.json.status)).toEqual(['sent', 'sent']);
			// Kolya's mentor is Boris; Sveta's is Anna, reached at the telegram_id of her version valid then
			expect(peer.messages.map((m: { chat_id: string }) => m.chat_id).sort()).toEqual(['200001', '200002']);
			expect(peer.messages.every((m: { text: string }) => !m.text.includes('Первое задание'))).toBe(true);

			// Nothing more, whatever runs again
			await runNode(new GetCourseResolveMentor(), { credentials: creds });
			await runNode(new GetCourseSendPending(), { parameters: { maxRunSeconds: 5 }, credentials: creds });
			expect(peer.messages).toHaveLength(2);
			expect(await q(`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'`)).toEqual([{ n: 3 }]);
		} finally {
			await dropSchema(server(), schema);
		}
	});
});

describe('dist/lib/db/schema.sql (for psql users)', () => {
	it('is every migration in order, idempotent, and leaves the schema where init would', async () => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { schemaSql } = require('../../scripts/build-schema-sql');
		const server = servers[0];
		const schema = `t_mig_psql_${randomBytes(3).toString('hex')}`;
		await loadStartingPoint(server, schema, 'package-0.1');
		const c = new Client({ ...server });
		await c.connect();
		try {
			await c.query(`SET search_path TO "${schema}"`);
			await c.query(schemaSql());
			await c.query(schemaSql());
			const { db } = dbFor(server, schema);
			const r = await migrate(db);
			expect(r.origin).toBe('managed');
			expect(r.applied).toEqual([]);
			expect(r.changed).toEqual([]);
		} finally {
			await c.end();
			await dropSchema(server, schema);
		}
	});
});
