import type { Queryable } from '../db/types';
import { quoteIdentifier } from '../identifiers';
import { fieldText } from './store';
import { tableDef, type ReferenceTable } from './tables';

export interface ExportedRows {
	table: ReferenceTable;
	/** The business columns, in the order a sync reads them. */
	fields: string[];
	rows: Array<Record<string, string | null>>;
}

/** The rows valid now, business columns only, ordered by key: what a sheet seeded from the database holds. */
export async function exportCurrentRows(c: Queryable, table: string): Promise<ExportedRows> {
	const t = tableDef(table);
	const cols = t.fields.map((f) => `${fieldText(f)} AS ${quoteIdentifier(f.name, 'column name')}`);
	const order = t.keyFields.map((k) => (t.fields.find((f) => f.name === k)?.kind === 'email' ? `lower(${k})` : `${k} NULLS FIRST`));
	const res = await c.query<Record<string, string | null>>(
		`SELECT ${cols.join(', ')} FROM ${quoteIdentifier(t.name, 'table name')}
		  WHERE valid_from <= now() AND now() < valid_to
		  ORDER BY ${[...order, 'id'].join(', ')}`,
	);
	return { table: t.name, fields: t.fields.map((f) => f.name), rows: res.rows };
}
