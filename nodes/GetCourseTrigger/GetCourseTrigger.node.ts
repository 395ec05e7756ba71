import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { CREDENTIALS } from '../../lib/credentialNames';
import { isValidTimeZone } from '../../lib/payload/dates';
import type { FieldMap } from '../../lib/payload/fields';
import { DEFAULT_MAX_BODY_BYTES, receiveWebhook, START_MODES, startExecution, type StartMode } from '../../lib/store/receiveWebhook';
import { LOG_SOURCE } from '../../lib/store/storeEvents';
import { credentialsOf } from '../shared/credentialCache';
import { credentialTestMethods, dbFor } from '../shared/database';
import { fieldsNoticeProperty, fieldsProperty, notifyCommentsProperty, notifyStatusesProperty, parseNotifyStatuses } from '../shared/intakeProperties';
import { logRun } from '../shared/runLog';
import { timeZoneProperty } from '../shared/timeZone';

export class GetCourseTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Trigger',
		name: 'getCourseTrigger',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"/" + $parameter["path"] + ($parameter["start"] === "never" ? " · store only" : $parameter["start"] === "eachNew" ? " · per event" : "")}}',
		description: 'Receive GetCourse homework calls (Tech API or process "Вызвать URL"), store them once and start the workflow for new ones',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-trigger',
		defaults: { name: 'GetCourse Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'getCourseBotWebhookSecret', displayName: 'Webhook Secret', required: true, testedBy: 'getCourseWebhookSecretTest' },
			{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' },
		],
		webhooks: [
			// isFullPath: the URL is <n8n>/webhook/<path>, as typed into GetCourse (not <webhookId>/<path>)
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '={{$parameter["path"]}}', isFullPath: true },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: '={{$parameter["path"]}}', isFullPath: true },
		],
		properties: [
			{
				displayName:
					'Answers GetCourse at once: 200 stored or duplicate, 401 wrong or missing secret, 413 too large, 422 invalid. Only a newly stored event that notifies can start an execution; duplicates and refused calls cost none.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'getcourse',
				required: true,
				hint: 'GetCourse calls https://your-n8n/webhook/getcourse?secret=… (this path, the secret of the credential above). Put that URL into the process "Вызвать URL" (with its parameters) or the Tech API subscription.',
				description: 'The last part of the webhook URL',
			},
			{
				displayName: 'Start Execution',
				name: 'start',
				type: 'options',
				options: [
					{
						name: 'Coalesced (Shared by a Burst)',
						value: 'coalesced',
						description:
							'A new answer starts an execution unless one this trigger started has not claimed yet; that one picks up everything stored meanwhile. Needs GetCourse Resolve Mentor in the workflow.',
					},
					{ name: 'For Each New Event That Notifies', value: 'eachNew', description: 'One execution per new answer or comment' },
					{ name: 'Never (Schedules Only)', value: 'never', description: 'Only store; a scheduled Resolve Mentor picks events up' },
				],
				default: 'coalesced',
				description: 'Either way each event is resolved and sent once: Resolve Mentor and Send Pending claim what they work on',
			},
			notifyStatusesProperty,
			notifyCommentsProperty,
			{
				displayName: 'Max Body Size (KB)',
				name: 'maxBodyKb',
				type: 'number',
				default: 1024,
				typeOptions: { minValue: 1, maxValue: 16384 },
				description: 'Larger calls are answered 413 and not stored (a GetCourse answer is a few KB)',
			},
			timeZoneProperty,
			fieldsNoticeProperty,
			fieldsProperty,
		],
	};

	methods = credentialTestMethods;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const started = Date.now();
		const req = this.getRequestObject() as unknown as { rawBody?: Buffer; headers: Record<string, unknown> };
		const res = this.getResponseObject();
		const answer = (code: number, body: object): IWebhookResponseData => {
			res.status(code).json(body);
			return { noWebhookResponse: true };
		};
		let db;
		try {
			const secret = String((await credentialsOf(this, CREDENTIALS.webhookSecret.type)).secret ?? '');
			if (!secret) return answer(500, { ok: false, status: 'error', reason: 'the GetCourse Webhook Secret credential is empty' });
			const timeZone = String(this.getNodeParameter('timeZone', 'Europe/Moscow')).trim();
			if (!isValidTimeZone(timeZone)) return answer(500, { ok: false, status: 'error', reason: `unknown time zone "${timeZone}"` });
			const startParam = String(this.getNodeParameter('start', 'coalesced'));
			const start: StartMode = (START_MODES as readonly string[]).includes(startParam) ? (startParam as StartMode) : 'coalesced';
			db = await dbFor(this);
			const result = await receiveWebhook(
				db.pool,
				{
					headers: req.headers,
					query: this.getQueryData() as Record<string, unknown>,
					body: this.getBodyData(),
					bodyBytes: req.rawBody?.length ?? Number(req.headers['content-length'] ?? 0),
				},
				{
					sharedSecret: secret,
					maxBodyBytes: Math.max(1, Number(this.getNodeParameter('maxBodyKb', 1024))) * 1024 || DEFAULT_MAX_BODY_BYTES,
					start,
					timeZone,
					notifyStatuses: parseNotifyStatuses(this.getNodeParameter('notifyStatuses', ['new'])),
					notifyComments: this.getNodeParameter('notifyComments', true) as boolean,
					fields: this.getNodeParameter('fields', {}) as Partial<FieldMap>,
				},
			);
			res.status(result.httpStatus).json(result.response);
			// GetCourse has its answer; the event is stored. Whether an execution starts is decided now;
			// if that fails, the stored event waits for the schedule (the safety net) instead.
			const item = await startExecution(db.pool, start, `${this.getWorkflow().id}:${this.getNode().id}`, result.execution).catch(() => null);
			if (!item) return { noWebhookResponse: true };
			return { noWebhookResponse: true, workflowData: [[{ json: item as IDataObject }]] };
		} catch (err) {
			// The database is down or the set-up is wrong: GetCourse gets a 503 and may call again.
			const message = (err as Error).message;
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: message });
			return answer(503, { ok: false, status: 'error', reason: message });
		}
	}
}
