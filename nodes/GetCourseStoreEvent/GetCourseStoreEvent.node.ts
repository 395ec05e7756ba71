import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { CREDENTIALS } from '../../lib/credentialNames';
import type { FieldMap } from '../../lib/payload/fields';
import { intakeLimits } from '../../lib/db/intakeDb';
import type { Db } from '../../lib/db/pool';
import { storeWithin } from '../../lib/store/intake';
import { LOG_SOURCE } from '../../lib/store/storeEvents';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, intakeDbFor } from '../shared/database';
import { intakeLimitsProperty } from '../shared/intakeLimits';
import { batchFailure } from '../shared/errors';
import { fieldsNoticeProperty, fieldsProperty, notifyCommentsProperty, notifyStatusesProperty, parseNotifyStatuses } from '../shared/intakeProperties';
import { logRun } from '../shared/runLog';
import { readTimeZone, timeZoneProperty } from '../shared/timeZone';

/** Version 1 kept the secret in a parameter; version 2 reads the optional GetCourse Webhook Secret credential. */
async function readSharedSecret(ctx: IExecuteFunctions): Promise<string> {
	const node = ctx.getNode();
	if (node.typeVersion < 2) return String(ctx.getNodeParameter('sharedSecret', 0, ''));
	if (!node.credentials?.[CREDENTIALS.webhookSecret.type]) return '';
	const data = await ctx.getCredentials(CREDENTIALS.webhookSecret.type);
	return String(data.secret ?? '');
}

export class GetCourseStoreEvent implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Store Event',
		name: 'getCourseStoreEvent',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{"notify on: " + [].concat($parameter["notifyStatuses"] || []).join(", ")}}',
		description: "Validate a GetCourse call received by n8n's own Webhook node and store it once in webhook_events",
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-store-event',
		defaults: { name: 'GetCourse Store Event' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [
			{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' },
			{
				name: 'getCourseBotWebhookSecret',
				displayName: 'Webhook Secret',
				required: false,
				testedBy: 'getCourseWebhookSecretTest',
				displayOptions: { show: { '@version': [2] } },
			},
		],
		properties: [
			{
				displayName:
					'For your own Webhook node. GetCourse Trigger does all of this in one node (and answers at once). Each output item has "status" (stored, duplicate, invalid, unauthorized, unavailable) and "httpStatus" (200, 200, 422, 401, 503 with "retryAfter" seconds) for a Respond to Webhook node.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			timeZoneProperty,
			{ ...notifyStatusesProperty, displayOptions: { show: { '@version': [2] } } },
			{
				displayName: 'Notify On Statuses',
				name: 'notifyStatuses',
				type: 'string',
				default: 'new',
				description: 'Comma-separated answer statuses that notify the mentor (version 1)',
				displayOptions: { show: { '@version': [1] } },
			},
			notifyCommentsProperty,
			{
				displayName: 'Shared Secret',
				name: 'sharedSecret',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				description:
					'Version 1 only: when set, each call must carry it as the "secret" query parameter or the X-GetCourse-Secret header. Version 2 reads it from a GetCourse Webhook Secret credential.',
				displayOptions: { show: { '@version': [1] } },
			},
			fieldsNoticeProperty,
			fieldsProperty,
			intakeLimitsProperty,
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const started = Date.now();
		const items = this.getInputData();
		let db: Db | undefined;
		try {
			const timeZone = readTimeZone(this);
			let notifyStatuses: string[];
			try {
				notifyStatuses = parseNotifyStatuses(this.getNodeParameter('notifyStatuses', 0, ['new']));
			} catch (err) {
				throw new NodeOperationError(this.getNode(), (err as Error).message);
			}
			const notifyComments = this.getNodeParameter('notifyComments', 0, true) as boolean;
			const sharedSecret = await readSharedSecret(this);
			const fields = this.getNodeParameter('fields', 0, {}) as Partial<FieldMap>;
			let limits;
			try {
				limits = intakeLimits(this.getNodeParameter('databaseLimits', 0, {}) as Record<string, unknown>);
			} catch (err) {
				throw new NodeOperationError(this.getNode(), (err as Error).message);
			}
			db = await intakeDbFor(this, limits);
			// Database trouble is no node failure: the calls get status "unavailable" and httpStatus
			// 503 (with retryAfter) for the Respond to Webhook node, and GetCourse calls again.
			const { outcomes, trouble } = await storeWithin(
				db,
				items.map((i) => i.json as Record<string, unknown>),
				{ timeZone, notifyStatuses, notifyComments, sharedSecret, fields, limits },
			);
			if (trouble?.logNow) this.logger?.warn(`GetCourse Store Event answered 503 (${trouble.kind}): ${trouble.detail}`);
			const count = (s: string) => outcomes.filter((o) => o.status === s).length;
			// A run of refused calls only writes nothing (they are counted: lib/store/intakeLog.ts).
			if (!trouble && count('unauthorized') < outcomes.length) {
				await logRun(db, started, {
					source: LOG_SOURCE,
					outcome: count('invalid') + count('unauthorized') ? 'partial' : 'success',
					counts: { stored: count('stored'), duplicates: count('duplicate'), invalid: count('invalid'), unauthorized: count('unauthorized') },
				});
			}
			return [outcomes.map((o, i) => ({ json: o as unknown as IDataObject, pairedItem: { item: i } }))];
		} catch (err) {
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: (err as Error).message });
			return batchFailure(this, err, items.length);
		}
	}
}
