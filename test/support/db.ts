import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { normaliseSettings, type PgSettings } from '../../lib/config';
import { getDb, type Db } from '../../lib/db/pool';
import { applySchema } from '../../lib/db/schema';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('./pgEnv') as () => { host: string; port: number; user: string; password: string; database: string };

export interface TestDb {
	settings: PgSettings;
	db: Db;
	/** Credential data as n8n would hand it to a node. */
	credential: Record<string, unknown>;
	drop(): Promise<void>;
}

/** Every test file works in a schema of its own, so files run in parallel. */
export async function createTestDb(prefix: string, apply = true, overlapGuards: 'auto' | 'trigger' | 'skip' = 'auto'): Promise<TestDb> {
	const cfg = testPgConfig();
	const schema = `t_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
	const credential = {
		hostExternal: cfg.host,
		hostInternal: '',
		environment: 'dev',
		port: cfg.port,
		user: cfg.user,
		password: cfg.password,
		database: cfg.database,
		schema,
		ssl: 'disable',
		connectionTimeout: 10,
	};
	const settings = normaliseSettings(credential);
	const db = getDb(settings);
	if (apply) await applySchema(db, { overlapGuards });
	return {
		settings,
		db,
		credential,
		drop: async () => {
			const c = new Client({ ...cfg });
			await c.connect();
			await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
			await c.end();
		},
	};
}

export interface Reference {
	mentors: Array<{ email: string; telegram_id: number | null; first_name?: string; valid_from?: string; valid_to?: string }>;
	students: Array<{ user_id: string; email: string; first_name?: string; last_name?: string; valid_from?: string }>;
	trainings?: Array<{ training_id: string; name: string; valid_from?: string }>;
	lessons?: Array<{ lesson_id: string; training_id?: string; name: string; valid_from?: string }>;
	mapping: Array<{ student_email: string; mentor_email: string; training_id?: string | null; valid_from?: string; valid_to?: string }>;
}

const EARLY = '2000-01-01T00:00:00Z';
const FOREVER = '9999-12-31T00:00:00Z';

export async function seedReference(db: Db, r: Reference): Promise<void> {
	const q = (sql: string, v: unknown[]) => db.pool.query(sql, v);
	for (const m of r.mentors) {
		await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from, valid_to) VALUES ($1,$2,$3,$4,$5)`, [
			m.email, m.first_name ?? 'Mentor', m.telegram_id, m.valid_from ?? EARLY, m.valid_to ?? FOREVER,
		]);
	}
	for (const s of r.students) {
		await q(`INSERT INTO students (user_id, email, first_name, last_name, valid_from) VALUES ($1,$2,$3,$4,$5)`, [
			s.user_id, s.email, s.first_name ?? 'Иван', s.last_name ?? 'Петров', s.valid_from ?? EARLY,
		]);
	}
	for (const t of r.trainings ?? []) {
		await q(`INSERT INTO trainings (training_id, name, valid_from) VALUES ($1,$2,$3)`, [t.training_id, t.name, t.valid_from ?? EARLY]);
	}
	for (const l of r.lessons ?? []) {
		await q(`INSERT INTO lessons (lesson_id, training_id, name, valid_from) VALUES ($1,$2,$3,$4)`, [
			l.lesson_id, l.training_id ?? null, l.name, l.valid_from ?? EARLY,
		]);
	}
	for (const m of r.mapping) {
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from, valid_to) VALUES ($1,$2,$3,$4,$5)`, [
			m.student_email, m.mentor_email, m.training_id ?? null, m.valid_from ?? EARLY, m.valid_to ?? FOREVER,
		]);
	}
}
