import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { CREDENTIALS } from '../../lib/credentialNames';
import { isValidTimeZone } from '../../lib/payload/dates';
import type { FieldMap } from '../../lib/payload/fields';
import { intakeLimits } from '../../lib/db/intakeDb';
import type { Db } from '../../lib/db/pool';
import { DEFAULT_MAX_BODY_BYTES, receiveWebhook, START_MODES, startExecution, type ReceiveOptions, type StartMode } from '../../lib/store/receiveWebhook';
import { credentialsOf } from '../shared/credentialCache';
import { credentialTestMethods, intakeDbFor } from '../shared/database';
import { intakeLimitsProperty } from '../shared/intakeLimits';
import { fieldsNoticeProperty, fieldsProperty, notifyCommentsProperty, notifyStatusesProperty, parseNotifyStatuses } from '../shared/intakeProperties';
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
					'Answers GetCourse at once: 200 stored or duplicate, 401 wrong or missing secret, 413 too large, 422 invalid, 503 with Retry-After when the database is slow, away or not set up (nothing stored; GetCourse calls again). Only a newly stored event that notifies can start an execution; duplicates and refused calls cost none.',
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
			intakeLimitsProperty,
		],
	};

	methods = credentialTestMethods;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject() as unknown as { rawBody?: Buffer; headers: Record<string, unknown> };
		const res = this.getResponseObject();
		const answer = (code: number, body: object, headers: Record<string, string> = {}): IWebhookResponseData => {
			for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
			res.status(code).json(body);
			return { noWebhookResponse: true };
		};
		let intake: Awaited<ReturnType<typeof readSettings>>;
		try {
			intake = await readSettings(this);
		} catch (err) {
			// A set-up problem of this node: nothing is stored, GetCourse calls again later.
			this.logger.warn(`GetCourse Trigger answered 503: ${(err as Error).message}`);
			return answer(503, { ok: false, status: 'unavailable', reason: 'the GetCourse Trigger node could not read its settings; call again later' }, { 'Retry-After': '300' });
		}
		const result = await receiveWebhook(
			intake.db,
			{
				headers: req.headers,
				query: this.getQueryData() as Record<string, unknown>,
				body: this.getBodyData(),
				bodyBytes: req.rawBody?.length ?? Number(req.headers['content-length'] ?? 0),
			},
			intake.options,
		);
		// Database trouble: 503 with Retry-After (GetCourse calls again); the cause goes to n8n's log
		// once a minute per kind, and to error_logs (lib/store/intakeLog.ts), never into the answer.
		if (result.trouble?.logNow) this.logger.warn(`GetCourse Trigger answered 503 (${result.trouble.kind}): ${result.trouble.detail}`);
		answer(result.httpStatus, result.response, result.headers);
		// GetCourse has its answer and the event is stored. Whether an execution starts is decided now
		// (coalesced: only when none this trigger started waits to claim); if the database fails here,
		// the stored event waits for the schedule (the safety net) instead.
		const startKey = `${this.getWorkflow().id}:${this.getNode().id}`;
		const item = await startExecution(intake.db, intake.options.start, startKey, result.execution, intake.options.limits).catch(() => null);
		if (!item) return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [[{ json: item as IDataObject }]] };
	}
}

const startModeOf = (v: unknown): StartMode => ((START_MODES as readonly unknown[]).includes(v) ? (v as StartMode) : 'coalesced');

/** The node's credentials and parameters; throws on a set-up problem (empty secret, unknown time zone, bad limits). */
async function readSettings(ctx: IWebhookFunctions): Promise<{ db: Db; options: ReceiveOptions }> {
	const secret = String((await credentialsOf(ctx, CREDENTIALS.webhookSecret.type)).secret ?? '');
	if (!secret) throw new NodeOperationError(ctx.getNode(), 'the GetCourse Webhook Secret credential is empty');
	const timeZone = String(ctx.getNodeParameter('timeZone', 'Europe/Moscow')).trim();
	if (!isValidTimeZone(timeZone)) throw new NodeOperationError(ctx.getNode(), `unknown time zone "${timeZone}"`);
	const limits = intakeLimits(ctx.getNodeParameter('databaseLimits', {}) as Record<string, unknown>);
	return {
		db: await intakeDbFor(ctx, limits),
		options: {
			sharedSecret: secret,
			maxBodyBytes: Math.max(1, Number(ctx.getNodeParameter('maxBodyKb', 1024))) * 1024 || DEFAULT_MAX_BODY_BYTES,
			start: startModeOf(ctx.getNodeParameter('start', 'coalesced')),
			timeZone,
			notifyStatuses: parseNotifyStatuses(ctx.getNodeParameter('notifyStatuses', ['new'])),
			notifyComments: ctx.getNodeParameter('notifyComments', true) as boolean,
			fields: ctx.getNodeParameter('fields', {}) as Partial<FieldMap>,
			limits,
		},
	};
}
