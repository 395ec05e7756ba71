import { withClient } from '../../db/pool';
import { toCsv, type Delimiter } from '../../reference/csv';
import { exportCurrentRows } from '../../reference/export';
import type { Command } from '../context';

const DELIMITERS: Record<string, Delimiter> = { ',': ',', ';': ';', tab: '\t', '\\t': '\t', '\t': '\t' };

export const exportCommand: Command = {
	usage: `export <table> [--json] [--delimiter ,|;|tab]
                       print the rows valid now as CSV (what "import" reads back with no change)`,
	spec: { flags: { '--json': { value: 'none' }, '--delimiter': { value: 'text', what: ', ; or tab' } }, positionals: ['table'] },
	async run({ args, db }) {
		const [table] = args.positionals;
		const d = args.text('--delimiter') ?? ',';
		const delimiter = DELIMITERS[d];
		if (!delimiter) throw new Error(`--delimiter must be , ; or tab, got ${JSON.stringify(d)}`);
		const rows = await withClient(db, (c) => exportCurrentRows(c, table));
		if (args.has('--json')) console.log(JSON.stringify(rows.rows, null, 2));
		else process.stdout.write(toCsv(rows.fields, rows.rows, delimiter));
		return 0;
	},
};
