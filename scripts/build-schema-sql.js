'use strict';
/**
 * dist/lib/db/schema.sql: every migration in order, for people who set a database up with
 * psql (`psql -v ON_ERROR_STOP=1 -f schema.sql`). Each migration is written to be re-runnable,
 * so the file is idempotent; it records the versions in schema_migrations exactly as
 * `getcourse-bot init` does, so either way can be used afterwards. psql runs each file in one
 * transaction: indexes are built the plain way and `-- gcb:batched` updates in one statement
 * (the runner of lib/db/migrate.ts does both without blocking intake).
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.join(__dirname, '..', 'lib', 'db', 'migrations');
const NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;
/** Runner directives are not part of the checksum (as lib/db/sqlStatements.ts withoutDirectives). */
const DIRECTIVE_LINE = /^[ \t]*--[ \t]*gcb:[^\n]*(\n|$)/gm;

function schemaSql() {
	const parts = [
		'-- GetCourse Bot schema: all migrations of lib/db/migrations in order (generated at build time).',
		'-- Idempotent; objects go into the current search_path: SET search_path TO your_schema first.',
		'',
		`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    checksum VARCHAR(64) NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW());`,
	];
	for (const file of fs.readdirSync(DIR).filter((f) => NAME.test(f)).sort()) {
		const [, version, name] = NAME.exec(file);
		const sql = fs.readFileSync(path.join(DIR, file), 'utf8');
		const checksum = createHash('sha256').update(sql.replace(DIRECTIVE_LINE, '')).digest('hex');
		parts.push(
			`\n-- ======================================================== ${file}`,
			`BEGIN;`,
			sql.trimEnd(),
			`INSERT INTO schema_migrations (version, name, checksum) VALUES (${Number(version)}, '${name}', '${checksum}') ON CONFLICT (version) DO NOTHING;`,
			`COMMIT;`,
		);
	}
	return parts.join('\n') + '\n';
}

function writeSchemaSql(target) {
	fs.mkdirSync(path.dirname(target), { recursive: true });
	fs.writeFileSync(target, schemaSql());
}

module.exports = { schemaSql, writeSchemaSql };
