import { isValidTimeZone } from '../../payload/dates';
import { closeReferenceIn } from '../../reference/close';
import { changeRecord } from '../../reference/output';
import { readEffectiveTime } from '../../reference/time';
import type { Command } from '../context';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : 'open end');

export const close: Command = {
	usage: `close <table> <key> [--training ID] [--at DATE] [--time-zone TZ] [--dry-run] [--json]
                       end the row of a key valid now (or at --at): a mentor or student who left, a training,
                       a lesson, a mapping (key: the student; --training for a training's mapping); closing a
                       mentor warns about mappings that still send students to them`,
	spec: {
		flags: {
			'--training': { value: 'text', what: 'a training id' },
			'--at': { value: 'text', what: 'a date' },
			'--time-zone': { value: 'text', what: 'an IANA time zone' },
			'--dry-run': { value: 'none' },
			'--json': { value: 'none' },
		},
		positionals: ['table', 'key'],
	},
	async run({ args, db }) {
		const [table, key] = args.positionals;
		const timeZone = args.text('--time-zone') ?? 'Europe/Moscow';
		if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}": use an IANA name like Europe/Moscow`);
		const dryRun = args.has('--dry-run');
		const { change, warnings } = await closeReferenceIn(db, {
			table,
			key,
			trainingId: args.text('--training'),
			at: readEffectiveTime(args.text('--at'), timeZone, '--at'),
			dryRun,
		});
		if (args.has('--json')) {
			console.log(JSON.stringify({ ...changeRecord(table, change, dryRun), warnings }, null, 2));
			return 0;
		}
		if (change.action === 'closed') {
			console.log(`${dryRun ? 'Would close' : 'Closed'} ${table} ${change.key} (row id ${change.old?.id}) at ${iso(change.effectiveAt)}: valid ${iso(change.old?.valid_from)} → ${iso(change.effectiveAt)}`);
		} else {
			console.log(`${table} ${change.key}: no row valid then, nothing to close`);
		}
		for (const w of warnings) console.log(`Warning: ${w}`);
		return 0;
	},
};
