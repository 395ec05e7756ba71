import { readFileSync } from 'node:fs';
import { isValidTimeZone } from '../../payload/dates';
import { parseCsv } from '../../reference/csv';
import { changeRecord, summaryRecord } from '../../reference/output';
import { recordRun } from '../../db/runLog';
import { IMPORT_LOG_SOURCE, syncReferenceData } from '../../reference/sync';
import { tableDef } from '../../reference/tables';
import { readEffectiveTime } from '../../reference/time';
import type { Command } from '../context';
import { formatSyncResult } from '../syncReport';

export const importCommand: Command = {
	usage: `import <table> <file.csv> [--dry-run] [--close-missing] [--effective DATE] [--effective-column NAME]
                       [--all-or-nothing] [--time-zone TZ] [--json]
                       sync a reference table (mentors, students, trainings, lessons, mapping) from a CSV file
                       (header row, , ; or tab): changed rows become new versions, nothing is edited in place`,
	spec: {
		flags: {
			'--dry-run': { value: 'none' },
			'--close-missing': { value: 'none' },
			'--json': { value: 'none' },
			'--all-or-nothing': { value: 'none' },
			'--effective': { value: 'text', what: 'a date' },
			'--effective-column': { value: 'text', what: 'a column name' },
			'--time-zone': { value: 'text', what: 'an IANA time zone' },
		},
		positionals: ['table', 'file.csv'],
	},
	async run({ args, db }) {
		const [table, file] = args.positionals;
		const t = tableDef(table);
		const timeZone = args.text('--time-zone') ?? 'Europe/Moscow';
		if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}": use an IANA name like Europe/Moscow`);
		const csv = parseCsv(readFileSync(file, 'utf8'));
		const started = Date.now();
		const result = await syncReferenceData(db, csv.records, {
			table: t.name,
			timeZone,
			closeMissing: args.has('--close-missing'),
			effectiveAt: readEffectiveTime(args.text('--effective'), timeZone, '--effective'),
			effectiveColumn: args.text('--effective-column'),
			dryRun: args.has('--dry-run'),
			allOrNothing: args.has('--all-or-nothing'),
		});
		if (!result.dryRun) {
			const { created, versioned, closed, unchanged, rejected } = result.summary;
			await recordRun(db.pool, {
				source: IMPORT_LOG_SOURCE,
				outcome: rejected ? (result.aborted ? 'error' : 'partial') : 'success',
				durationMs: Date.now() - started,
				counts: result.aborted ? { planned: created + versioned + closed, unchanged, rejected } : { created, versioned, closed, unchanged, rejected },
				...(rejected ? { error: `${result.table} from ${file}: ${rejected} invalid row(s)${result.aborted ? ', nothing written' : ''}` } : {}),
			});
		}
		if (args.has('--json')) {
			console.log(
				JSON.stringify(
					{
						summary: summaryRecord(result),
						changes: result.changes.map((c) => ({ ...changeRecord(result.table, c, result.dryRun), line: c.index === null ? null : csv.lines[c.index] })),
						rejected: result.rejected.map((r) => ({ ...r, line: csv.lines[r.index] })),
					},
					null,
					2,
				),
			);
		} else {
			console.log(formatSyncResult(result, csv.lines));
		}
		return result.rejected.length ? 1 : 0;
	},
};
