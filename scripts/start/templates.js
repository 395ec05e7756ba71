'use strict';
/**
 * The shipped templates in `npm start`'s n8n:
 *  - full-pipeline (GetCourse Trigger → Resolve Mentor → Create Notification → Send Pending, with a
 *    2-minute schedule as safety net) and maintenance: imported and published;
 *  - reference-sync: imported, not published, its Settings folder pointed at the sample files
 *    npm start puts into <data>/n8n-files/reference (scripts/start/referenceFiles.js);
 *  - review-clock: imported, published only when GETCOURSE_REVIEW_HOURS is set (./reviewClock.js).
 * Every template keeps its successful executions here (a local trial), unlike the shipped files.
 * Imported once (editor changes survive restarts) unless --reset-workflows, or again when the
 * Telegram token came or went (Send Pending is disabled without one) or an import left a
 * credential reference unresolved. The older shape (intake, processing, sending) uses the same
 * webhook path: if an earlier npm start published it, it is unpublished.
 */
const fs = require('node:fs');
const rt = require('../n8n');
const review = require('./reviewClock');

const PUBLISHED = ['full-pipeline', 'maintenance'];
const IMPORTED_ONLY = ['reference-sync', review.TEMPLATE];
const OLDER_SHAPE = ['gcbIntake0000001', 'gcbProcessing001', 'gcbSending000001'];
const SEND_PENDING = 'n8n-nodes-getcourse-bot.getCourseSendPending';
const CREATE_NOTIFICATION = 'n8n-nodes-getcourse-bot.getCourseCreateNotification';
const REFERENCE_SYNC = 'gcbReferenceSync1';

/**
 * Without a bot token Send Pending is disabled (notifications wait); the staff chat comes from the
 * environment. n8n's import resolves credential names only on enabled nodes, so the references to
 * the credentials just imported get their ids here.
 */
function transformFor({ hasToken, staffChatId, credentialIds, reviewSettings, referenceDir }) {
	return (wf) => {
		// a local trial: keep successful runs too, so the Executions tab shows what each webhook did
		wf.settings = { ...(wf.settings || {}), saveDataSuccessExecution: 'all' };
		for (const node of wf.nodes || []) {
			if (reviewSettings) review.applyToNode(node, reviewSettings);
			if (node.type === SEND_PENDING) node.disabled = !hasToken;
			for (const ref of Object.values(node.credentials || {})) {
				if (ref && !ref.id && credentialIds.has(ref.name)) ref.id = credentialIds.get(ref.name);
			}
			if (node.type === CREATE_NOTIFICATION && node.parameters && node.parameters.recipient === 'staff' && staffChatId) {
				node.parameters.staffChatId = staffChatId;
			}
			if (referenceDir && wf.id === REFERENCE_SYNC && node.name === 'Settings') {
				for (const a of node.parameters.assignments.assignments) if (a.name === 'folder') a.value = referenceDir;
			}
		}
		return wf;
	};
}

/** The folder the "Reference sync" workflow reads (its Settings node). */
const folderOf = (wf) => {
	const settings = (wf.nodes || []).find((n) => n.name === 'Settings');
	const a = settings && settings.parameters.assignments.assignments.find((x) => x.name === 'folder');
	return a ? a.value : undefined;
};

const sendingMatches = (row, hasToken) =>
	(row.nodes || []).filter((n) => n.type === SEND_PENDING).every((n) => Boolean(n.disabled) === !hasToken);

async function importAndPublish({ n8n, server, n8nDb, credentialIds, hasToken, referenceDir, reset, say }) {
	const credentialNames = new Set(credentialIds.keys());
	const staffChatId = (process.env.GETCOURSE_STAFF_CHAT_ID || '').trim();
	const reviewSettings = review.reviewSettings();
	const templates = [...PUBLISHED, ...IMPORTED_ONLY]
		.filter((n) => fs.existsSync(rt.templatePath(n)))
		.map((n) => ({ name: n, file: rt.templatePath(n), wf: JSON.parse(fs.readFileSync(rt.templatePath(n), 'utf8')) }));
	const ids = templates.map((x) => x.wf.id);
	const query = async (sql, params) => rt.withPg(server, n8nDb, async (c) => (await c.query(sql, params)).rows);
	const existing = new Map((await query(`SELECT id, nodes FROM workflow_entity WHERE id = ANY($1)`, [ids])).map((row) => [row.id, row]));
	// A workflow imported before its credential existed keeps {"id": null}: import it again.
	const unresolved = (row) => (row.nodes || []).some((node) => Object.values(node.credentials || {}).some((ref) => !ref.id && credentialNames.has(ref.name)));
	// An earlier npm start imported "Reference sync" with the shipped folder (a Docker path): point it here.
	const shippedFolder = (row) => referenceDir && row.id === REFERENCE_SYNC && folderOf(row) === folderOf(templates.find((x) => x.wf.id === REFERENCE_SYNC).wf);
	const toImport = templates.filter((x) => {
		const row = existing.get(x.wf.id);
		return reset || !row || unresolved(row) || !sendingMatches(row, hasToken) || review.reviewClockOutdated(row, reviewSettings) || shippedFolder(row);
	});
	let t = Date.now();
	if (toImport.length) {
		await n8n.importWorkflows(
			toImport.map((x) => x.file),
			{ publish: false, transform: transformFor({ hasToken, staffChatId, credentialIds, reviewSettings, referenceDir }) },
		);
		say(`workflows imported: ${toImport.map((x) => x.name).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
	}
	const active = new Map((await query(`SELECT id, "activeVersionId" FROM workflow_entity WHERE id = ANY($1)`, [[...ids, ...OLDER_SHAPE]])).map((r) => [r.id, !!r.activeVersionId]));
	// The review clock runs only when GETCOURSE_REVIEW_HOURS asks for it (scripts/start/reviewClock.js).
	const publishes = (name) => PUBLISHED.includes(name) || (name === review.TEMPLATE && reviewSettings.hours !== null);
	const toPublish = templates.filter((x) => publishes(x.name) && !active.get(x.wf.id));
	if (reviewSettings.hours === null && active.get(review.WORKFLOW_ID)) {
		await n8n.cli(['unpublish:workflow', `--id=${review.WORKFLOW_ID}`]);
		say('unpublished the review clock: GETCOURSE_REVIEW_HOURS is not set');
	}
	const olderActive = OLDER_SHAPE.filter((id) => active.get(id));
	t = Date.now();
	// The older intake listens on the same path as GetCourse Trigger: it goes first.
	await Promise.all(olderActive.map((id) => n8n.cli(['unpublish:workflow', `--id=${id}`])));
	if (olderActive.length) say(`unpublished the older intake/processing/sending workflows (${olderActive.join(', ')}): the full pipeline replaces them`);
	await n8n.publishAll(toPublish.map((x) => x.wf.id));
	if (toPublish.length) say(`published: ${toPublish.map((x) => x.name).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
	if (staffChatId) say(`staff alerts go to Telegram chat ${staffChatId} (GETCOURSE_STAFF_CHAT_ID)`);
	if (reviewSettings.hours !== null) {
		say(`review clock on: answers are due ${reviewSettings.hours} h after they arrive (GETCOURSE_REVIEW_HOURS)${staffChatId ? '' : '; no GETCOURSE_STAFF_CHAT_ID, so no escalations'}`);
	}
}

module.exports = { importAndPublish, transformFor };
