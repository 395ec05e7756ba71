import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { assignMentorIn } from '../../lib/reference/assignMentor';
import { closeReferenceIn } from '../../lib/reference/close';
import { changeRecord, summaryRecord } from '../../lib/reference/output';
import { DEFAULT_IGNORED_COLUMNS } from '../../lib/reference/source';
import { LOG_SOURCE, syncReferenceData } from '../../lib/reference/sync';
import { REFERENCE_TABLES, TABLES } from '../../lib/reference/tables';
import { readEffectiveTime } from '../../lib/reference/time';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure, itemFailure } from '../shared/errors';
import { logRun } from '../shared/runLog';
import type { Db } from '../../lib/db/pool';
import { readTimeZone, timeZoneProperty } from '../shared/timeZone';

const TABLE_NAMES: Record<string, string> = {
	mentors: 'Mentors',
	students: 'Students',
	trainings: 'Trainings',
	lessons: 'Lessons',
	mapping: 'Mapping (Student → Mentor)',
};

const COLUMN_LABELS: Record<string, string> = {
	email: 'Email',
	first_name: 'First Name',
	last_name: 'Last Name',
	telegram_id: 'Telegram ID',
	user_id: 'GetCourse User ID',
	training_id: 'Training ID',
	lesson_id: 'Lesson ID',
	name: 'Name',
	student_email: 'Student Email',
	mentor_email: 'Mentor Email',
	review_hours: 'Review Hours',
};

/** One "column name" option per field, shown for the tables that have it. */
const columnOptions: INodeProperties[] = Object.keys(COLUMN_LABELS)
	.sort((a, b) => COLUMN_LABELS[a].localeCompare(COLUMN_LABELS[b]))
	.map((field) => ({
		displayName: `${COLUMN_LABELS[field]} Column`,
		name: field,
		type: 'string' as const,
		default: field,
		description: `Source column holding ${field} (matched trimmed and case-insensitively)`,
		displayOptions: { show: { '/table': REFERENCE_TABLES.filter((t) => TABLES[t].fields.some((f) => f.name === field)) } },
	}));

const sync = { show: { operation: ['syncVersions'] } };
const assign = { show: { operation: ['assignMentor'] } };
const close = { show: { operation: ['close'] } };

export class GetCourseReferenceData implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Reference Data',
		name: 'getCourseReferenceData',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ $parameter["operation"] === "assignMentor" ? "Assign Mentor" : (($parameter["operation"] === "close" ? "Close " : "Sync ") + ($parameter["table"] || "")) }}',
		description: 'Keep mentors, students, trainings, lessons and the student–mentor mapping as versions (valid_from / valid_to), never edited in place',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-reference-data',
		defaults: { name: 'GetCourse Reference Data' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Assign Mentor',
						value: 'assignMentor',
						description: "From a date on, a student's answers go to another mentor: the old mapping ends and the new one starts at that instant",
						action: 'Assign a mentor to a student',
					},
					{
						name: 'Close',
						value: 'close',
						description: 'End a mentor, student, training, lesson or mapping at a date; closing a mentor warns about mappings still open to them',
						action: 'Close a reference row',
					},
					{
						name: 'Sync Versions',
						value: 'syncVersions',
						description: 'Compare the input rows (a sheet, a CSV) with the rows valid now and store the differences as versions',
						action: 'Sync a reference table',
					},
				],
				default: 'syncVersions',
			},
			{
				displayName: 'Table',
				name: 'table',
				type: 'options',
				noDataExpression: true,
				options: REFERENCE_TABLES.map((t) => ({ name: TABLE_NAMES[t], value: t })).sort((a, b) => a.name.localeCompare(b.name)),
				default: 'mentors',
				displayOptions: { show: { operation: ['syncVersions', 'close'] } },
			},
			{
				displayName:
					'Each input item is one row. Rows are matched on their key (email; students also by GetCourse user ID; training ID; lesson ID; student + training) and a changed row becomes a new version. A bad row fails with its item index; with On Error set to Continue, the valid rows are applied and each bad row comes out as an error item, otherwise nothing is written.',
				name: 'syncNotice',
				type: 'notice',
				default: '',
				displayOptions: sync,
			},
			{
				displayName: 'Column Names',
				name: 'columns',
				type: 'collection',
				placeholder: 'Add Column Name',
				default: {},
				description: 'Source column per table column, when the sheet uses other headers (default: the same name)',
				displayOptions: sync,
				options: columnOptions,
			},
			{
				displayName: 'Close Rows Missing From Source',
				name: 'closeMissing',
				type: 'boolean',
				default: false,
				description:
					'Whether rows valid now whose key is not in the input are closed at the effective time (skipped when any input row is invalid or the input is empty)',
				displayOptions: sync,
			},
			{
				displayName: 'Effective Time',
				name: 'effectiveTime',
				type: 'options',
				options: [
					{ name: 'Now', value: 'now', description: "The database's clock when the sync runs" },
					{ name: 'Date', value: 'date', description: 'One date for every row' },
					{ name: 'From a Column', value: 'column', description: 'Each row says from when it holds; empty cells mean now' },
				],
				default: 'now',
				description: 'From when the changes hold: the current version is closed and the new one starts at this instant',
				displayOptions: sync,
			},
			{
				displayName: 'Effective Date',
				name: 'effectiveDate',
				type: 'dateTime',
				default: '',
				description: "Dates without an offset are read in the node's time zone",
				displayOptions: { show: { operation: ['syncVersions'], effectiveTime: ['date'] } },
			},
			{
				displayName: 'Effective Time Column',
				name: 'effectiveColumn',
				type: 'string',
				default: 'effective_from',
				description: 'Column holding the date from which the row holds (like 2026-02-10 or 2026-02-10 09:00)',
				displayOptions: { show: { operation: ['syncVersions'], effectiveTime: ['column'] } },
			},
			{
				displayName: 'All or Nothing',
				name: 'allOrNothing',
				type: 'boolean',
				default: false,
				description: 'Whether one invalid row stops the whole sync (nothing is written) instead of only failing that row',
				displayOptions: sync,
			},
			{
				displayName: 'Student',
				name: 'student',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'e.g. ivan@example.ru or 45678901',
				description: "The student's email or GetCourse user ID",
				displayOptions: assign,
			},
			{
				displayName: 'Mentor Email',
				name: 'mentor',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'e.g. mentor@school.ru',
				displayOptions: assign,
			},
			{
				displayName: 'Key',
				name: 'key',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'e.g. mentor@school.ru',
				description: "Mentors: email. Students: email or GetCourse user ID. Trainings, lessons: the ID. Mapping: the student's email or user ID.",
				displayOptions: close,
			},
			{
				displayName: 'Training ID',
				name: 'trainingId',
				type: 'string',
				default: '',
				description: 'The training of the mapping; empty for the mapping that covers every training of the student',
				displayOptions: { show: { operation: ['assignMentor'] } },
			},
			{
				displayName: 'Training ID',
				name: 'trainingId',
				type: 'string',
				default: '',
				description: 'The training of the mapping to close; empty for the mapping that covers every training',
				displayOptions: { show: { operation: ['close'], table: ['mapping'] } },
			},
			{
				displayName: 'From',
				name: 'from',
				type: 'dateTime',
				default: '',
				description: 'When the new mentor takes over (empty: now); answers handed in before still go to the previous mentor',
				displayOptions: assign,
			},
			{
				displayName: 'At',
				name: 'at',
				type: 'dateTime',
				default: '',
				description: 'When the row stops being valid (empty: now)',
				displayOptions: close,
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description: 'Whether to only report what would change, writing nothing',
			},
			timeZoneProperty,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: sync,
				options: [
					{
						displayName: 'Ignore Columns',
						name: 'ignoreColumns',
						type: 'string',
						default: DEFAULT_IGNORED_COLUMNS.join(', '),
						description: "Comma-separated input fields that are not table columns and must not fail the row (Google Sheets adds row_number)",
					},
					{
						displayName: 'Output Unchanged Rows',
						name: 'outputUnchanged',
						type: 'boolean',
						default: true,
						description: 'Whether rows that did not change get an output item too (action "unchanged"); the summary item counts them either way',
					},
				],
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'syncVersions') return [await syncVersionsOperation.call(this)];
		return [await perItemOperation.call(this, operation)];
	}
}

async function syncVersionsOperation(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const started = Date.now();
	let db: Db | undefined;
	let result;
	try {
		const timeZone = readTimeZone(this);
		const table = this.getNodeParameter('table', 0) as string;
		const effectiveTime = this.getNodeParameter('effectiveTime', 0, 'now') as string;
		const options = this.getNodeParameter('options', 0, {}) as { ignoreColumns?: string };
		const continueOnFail = this.continueOnFail();
		db = await dbFor(this);
		result = await syncReferenceData(
			db,
			items.map((i) => i.json as Record<string, unknown>),
			{
				table,
				timeZone,
				columns: this.getNodeParameter('columns', 0, {}) as Record<string, string>,
				ignoreColumns: String(options.ignoreColumns ?? DEFAULT_IGNORED_COLUMNS.join(','))
					.split(',')
					.map((s) => s.trim())
					.filter(Boolean),
				closeMissing: this.getNodeParameter('closeMissing', 0, false) as boolean,
				effectiveAt: effectiveTime === 'date' ? readEffectiveTime(this.getNodeParameter('effectiveDate', 0, ''), timeZone, 'Effective Date') : null,
				effectiveColumn: effectiveTime === 'column' ? (this.getNodeParameter('effectiveColumn', 0, '') as string) : undefined,
				dryRun: this.getNodeParameter('dryRun', 0, false) as boolean,
				// Without "continue on fail" a bad row fails the node: then nothing may be written either.
				allOrNothing: (this.getNodeParameter('allOrNothing', 0, false) as boolean) || !continueOnFail,
			},
		);
	} catch (err) {
		await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: (err as Error).message });
		return batchFailure(this, err, items.length)[0];
	}
	const { created, versioned, closed, unchanged, rejected } = result.summary;
	await logRun(db, started, {
		source: LOG_SOURCE,
		outcome: rejected ? (result.aborted || !this.continueOnFail() ? 'error' : 'partial') : 'success',
		counts: result.dryRun || result.aborted ? { planned: created + versioned + closed, unchanged, rejected } : { created, versioned, closed, unchanged, rejected },
		...(rejected ? { error: `${result.table}: ${rejected} invalid row(s)${result.aborted ? ', nothing written' : ''}` } : {}),
	});
	if (result.rejected.length && !this.continueOnFail()) {
		const first = result.rejected[0];
		const all = result.rejected.map((r) => `item ${r.index}: ${r.reason}`).join('\n');
		throw new NodeOperationError(this.getNode(), `Row ${first.index} of ${result.table} is invalid: ${first.reason}`, {
			itemIndex: first.index,
			description: `${result.rejected.length} invalid row(s), nothing was written:\n${all}`,
		});
	}
	const outputUnchanged = (this.getNodeParameter('options', 0, {}) as { outputUnchanged?: boolean }).outputUnchanged ?? true;
	const out: Array<{ order: number; item: INodeExecutionData }> = [];
	if (!result.aborted) {
		for (const c of result.changes) {
			if (c.action === 'unchanged' && !outputUnchanged) continue;
			const json = changeRecord(result.table, c, result.dryRun) as unknown as IDataObject;
			out.push({ order: c.index ?? items.length, item: { json, pairedItem: { item: c.index ?? 0 } } });
		}
	}
	for (const r of result.rejected) {
		out.push({
			order: r.index,
			item: { json: { error: `Row ${r.index} of ${result.table} is invalid: ${r.reason}`, table: result.table, key: r.key ?? null, itemIndex: r.index }, pairedItem: { item: r.index } },
		});
	}
	out.sort((a, b) => a.order - b.order);
	const summary = { json: summaryRecord(result) as unknown as IDataObject, pairedItem: items.map((_, i) => ({ item: i })) };
	return [...out.map((o) => o.item), summary];
}

async function perItemOperation(this: IExecuteFunctions, operation: string): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const started = Date.now();
	let db: Db;
	let timeZone: string;
	try {
		timeZone = readTimeZone(this);
		db = await dbFor(this);
	} catch (err) {
		return batchFailure(this, err, items.length)[0];
	}
	const out: INodeExecutionData[] = [];
	const counts: Record<string, number> = { created: 0, versioned: 0, closed: 0, unchanged: 0, failed: 0 };
	const done = (json: { action: string; warnings?: string[] }, i: number) => {
		counts[json.action]++;
		out.push({ json: json as unknown as IDataObject, pairedItem: { item: i } });
	};
	for (let i = 0; i < items.length; i++) {
		try {
			const dryRun = this.getNodeParameter('dryRun', i, false) as boolean;
			if (operation === 'assignMentor') {
				const change = await assignMentorIn(db, {
					student: this.getNodeParameter('student', i),
					mentor: this.getNodeParameter('mentor', i),
					trainingId: this.getNodeParameter('trainingId', i, ''),
					from: readEffectiveTime(this.getNodeParameter('from', i, ''), timeZone, 'From'),
					dryRun,
				});
				done(changeRecord('mapping', change, dryRun), i);
			} else if (operation === 'close') {
				const table = this.getNodeParameter('table', i) as string;
				const { change, warnings } = await closeReferenceIn(db, {
					table,
					key: this.getNodeParameter('key', i),
					trainingId: table === 'mapping' ? this.getNodeParameter('trainingId', i, '') : undefined,
					at: readEffectiveTime(this.getNodeParameter('at', i, ''), timeZone, 'At'),
					dryRun,
				});
				done({ ...changeRecord(table, change, dryRun), warnings }, i);
			} else {
				throw new NodeOperationError(this.getNode(), `Unknown operation "${operation}"`, { itemIndex: i });
			}
		} catch (err) {
			counts.failed++;
			const message = `Item ${i}: ${(err as Error).message}`;
			if (!this.continueOnFail()) await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts, error: message });
			out.push(itemFailure(this, message, i));
		}
	}
	await logRun(db, started, { source: LOG_SOURCE, outcome: counts.failed ? 'partial' : 'success', counts });
	return out;
}
