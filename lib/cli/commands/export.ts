import { withClient } from '../../db/pool';
import { toCsv, type Delimiter } from '../../reference/csv';
import { exportCurrentRows } from '../../reference/export';
import { stringFlag, type Command } from '../context';
import { assertKnownFlags, positionals } from '../positionals';

const DELIMITERS: Record<string, Delimiter> = { ',': ',', ';': ';', tab: '\t', '\\t': '\t', '\t': '\t' };

export const exportCommand: Command = {
	usage: `export <table> [--json] [--delimiter ,|;|tab]
                       print the rows valid now as CSV (what "import" reads back with no change)`,
	async run({ args, db }) {
		assertKnownFlags(args, ['--json', '--delimiter']);
		const [table, ...extra] = positionals(args, ['--delimiter']);
		if (!table || extra.length) throw new Error('usage: getcourse-bot export <table> [--json] [--delimiter ,|;|tab]');
		const d = stringFlag(args, '--delimiter') ?? ',';
		const delimiter = DELIMITERS[d];
		if (!delimiter) throw new Error(`--delimiter must be , ; or tab, got ${JSON.stringify(d)}`);
		const rows = await withClient(db, (c) => exportCurrentRows(c, table));
		if (args.includes('--json')) console.log(JSON.stringify(rows.rows, null, 2));
		else process.stdout.write(toCsv(rows.fields, rows.rows, delimiter));
		return 0;
	},
};
