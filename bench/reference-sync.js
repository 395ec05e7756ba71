'use strict';
/**
 * Sync Versions of 5,000 reference rows with 1% changes, through the GetCourse Reference Data
 * node's execute() (items in, change items out) on real PostgreSQL, with the overlap guard of
 * each kind installed (exclusion constraint with btree_gist; the trigger fallback).
 *
 *   npm run build && node bench/reference-sync.js
 *
 * Per guard kind and table: the first load (5,000 created), BENCH_RUNS (default 3) rounds of
 * 1% changes (half versioned, a quarter new rows, a quarter missing rows closed, with "Close
 * Rows Missing From Source"), a re-run of the same source (0 changes) and a dry run.
 * Target: a 1% sync under 2 s.
 */
const { requireDist, freshSchema, runNode, median, peakRssMb, fmt, table, header } = require('./common');

const { GetCourseReferenceData } = requireDist('nodes/GetCourseReferenceData/GetCourseReferenceData.node.js');
const { ensureOverlapGuards } = requireDist('lib/db/overlapGuards.js');
const { withClient } = requireDist('lib/db/pool.js');

const ROWS = Number(process.env.BENCH_REFERENCE_ROWS || 5000);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS || 3));

const generators = {
	students: (i, round = 0) => ({ user_id: String(40000000 + i), email: `student${i}@example.ru`, first_name: `Имя${i}`, last_name: round ? `Фамилия${i}-${round}` : `Фамилия${i}` }),
	mapping: (i, round = 0) => ({ student_email: `student${i}@example.ru`, mentor_email: `mentor${(i + round) % 50}@school.test`, training_id: i % 3 ? String(889900 + (i % 7)) : '' }),
};

async function timeSync(s, tableName, rows, extra = {}) {
	const started = process.hrtime.bigint();
	const out = await runNode(new GetCourseReferenceData(), {
		items: rows.map((json) => ({ json })),
		parameters: { operation: 'syncVersions', table: tableName, closeMissing: true, options: { outputUnchanged: false }, ...extra },
		credentials: { getCourseBotPostgres: s.credential },
	});
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	const summary = out[0][out[0].length - 1].json;
	return { ms, summary };
}

async function scenario(kind, tableName) {
	const s = await freshSchema(`ref_${kind.slice(0, 4)}_${tableName.slice(0, 4)}`);
	try {
		await withClient(s.db, (c) => ensureOverlapGuards(c, { forceTrigger: kind === 'trigger' }));
		const gen = generators[tableName];
		let ids = Array.from({ length: ROWS }, (_, i) => i);
		const revision = new Map();
		const source = () => ids.map((i) => gen(i, revision.get(i) || 0));
		const load = await timeSync(s, tableName, source());
		if (load.summary.created !== ROWS) throw new Error(`load: ${JSON.stringify(load.summary)}`);
		const rounds = [];
		let nextNew = ROWS;
		for (let r = 1; r <= RUNS; r++) {
			const changes = Math.round(ROWS / 100);
			const versioned = Math.round(changes / 2);
			const created = Math.round(changes / 4);
			const closed = changes - versioned - created;
			// versioned: a spread of rows gets another value; closed: rows dropped from the source; created: new keys
			const step = Math.floor((ids.length - closed) / versioned);
			for (let k = 0; k < versioned; k++) revision.set(ids[k * step], r);
			ids = ids.slice(0, ids.length - closed);
			for (let k = 0; k < created; k++) ids.push(nextNew++);
			const res = await timeSync(s, tableName, source());
			const sum = res.summary;
			if (sum.versioned !== versioned || sum.created !== created || sum.closed !== closed) throw new Error(`round ${r}: ${JSON.stringify(sum)}`);
			rounds.push(res.ms);
		}
		const rerun = await timeSync(s, tableName, source());
		if (rerun.summary.created + rerun.summary.versioned + rerun.summary.closed !== 0) throw new Error(`re-run changed rows: ${JSON.stringify(rerun.summary)}`);
		const dry = await timeSync(s, tableName, source(), { dryRun: true });
		const stored = Number((await s.q(`SELECT count(*) AS n FROM ${tableName}`)).rows[0].n);
		return { kind, tableName, load: load.ms, rounds, rerun: rerun.ms, dry: dry.ms, stored };
	} finally {
		await s.drop();
	}
}

(async () => {
	header(`Reference data: Sync Versions of ${fmt(ROWS)} rows with 1% changes`, `${fmt(ROWS)} source rows, ${RUNS} round(s) of 1% changes, guard kinds: exclusion, trigger`);
	const results = [];
	for (const kind of ['exclusion', 'trigger']) {
		for (const tableName of ['students', 'mapping']) results.push(await scenario(kind, tableName));
	}
	table(
		['guard', 'table', `first load (${fmt(ROWS)} created) ms`, '1% sync ms (median)', '1% sync ms (each)', 're-run, 0 changes ms', 'dry run ms', 'rows stored'],
		results.map((r) => [r.kind, r.tableName, fmt(r.load), fmt(median(r.rounds)), r.rounds.map((x) => fmt(x)).join(' / '), fmt(r.rerun), fmt(r.dry), fmt(r.stored)]),
	);
	const worst = Math.max(...results.map((r) => Math.max(...r.rounds)));
	console.log(`\nSlowest 1% sync: ${fmt(worst)} ms (target < 2,000 ms: ${worst < 2000 ? 'met' : 'NOT met'}); peak RSS ${fmt(peakRssMb())} MB`);
	process.exit(worst < 2000 ? 0 : 1);
})().catch((err) => {
	console.error(err);
	process.exit(1);
});
