import { withClient } from '../../db/pool';
import { reviewReport, type ReviewReportRow } from '../../db/reviewReport';
import { toCsv } from '../../reference/csv';
import { reportPeriod } from '../../review/report';
import { checkTimeZone } from '../../review/settings';
import { UsageError } from '../args';
import type { Command } from '../context';

const COLUMNS: Array<keyof ReviewReportRow> = ['group', 'key', 'name', 'received', 'checked', 'medianHours', 'p90Hours', 'onTime', 'due', 'onTimePercent', 'openNow', 'overdueNow'];

const num = (v: number | null, digits = 1) => (v === null ? '-' : String(Math.round(v * 10 ** digits) / 10 ** digits));

function table(rows: ReviewReportRow[], period: string): string {
	const out = [`Answer checking ${period} (median/p90: hours from receipt to check; on time: checked by the deadline of those due; open/overdue: now)`];
	const head = ['', 'received', 'checked', 'median h', 'p90 h', 'on time', 'open', 'overdue'];
	const cells = (r: ReviewReportRow, name: string) => [
		name,
		String(r.received),
		String(r.checked),
		num(r.medianHours),
		num(r.p90Hours),
		r.onTimePercent === null ? '-' : `${r.onTimePercent}% (${r.onTime}/${r.due})`,
		String(r.openNow),
		String(r.overdueNow),
	];
	const label = (r: ReviewReportRow) =>
		r.group === 'total' ? 'total' : `${r.name ?? ''}${r.key && r.key !== r.name ? ` <${r.key}>` : ''}`.trim() || 'no training';
	const lines = rows.map((r) => cells(r, label(r)));
	const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...lines.map((l) => l[i].length))));
	const fmt = (c: string[]) => c.map((x, i) => (i === 0 ? x.slice(0, 60).padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
	for (const [title, group] of [['Mentors', 'mentor'], ['Trainings', 'training'], ['All', 'total']] as const) {
		const list = rows.filter((r) => r.group === group);
		if (!list.length) continue;
		out.push('', `${title}:`, fmt(head), ...list.map((r) => fmt(cells(r, label(r)))));
	}
	return out.join('\n');
}

export const report: Command = {
	usage: `report [--from DATE] [--to DATE] [--time-zone TZ] [--json|--csv]
                       the review clock per mentor and training: answers received, checked, median and p90 time to
                       check, checked on time, open and overdue now (DATE: 2026-02-01 = that school day, --to included;
                       default: the last 7 days)`,
	spec: {
		flags: {
			'--from': { value: 'text', what: 'a date (2026-02-01)' },
			'--to': { value: 'text', what: 'a date (2026-02-07)' },
			'--time-zone': { value: 'text', what: 'an IANA time zone' },
			'--json': { value: 'none' },
			'--csv': { value: 'none' },
		},
	},
	async run({ args, db }) {
		if (args.has('--json') && args.has('--csv')) throw new UsageError('--json and --csv: choose one');
		const timeZone = checkTimeZone(args.text('--time-zone') ?? 'Europe/Moscow');
		const period = reportPeriod(args.text('--from'), args.text('--to'), timeZone);
		const rows = await withClient(db, (c) => reviewReport(c, period.from, period.to));
		if (args.has('--json')) console.log(JSON.stringify({ from: period.from, to: period.to, timeZone, rows }, null, 2));
		else if (args.has('--csv')) process.stdout.write(toCsv(COLUMNS, rows as unknown as Array<Record<string, unknown>>));
		else console.log(table(rows, period.label));
		return 0;
	},
};
