'use strict';
/**
 * The review clock in `npm start` (workflows/review-clock.json, SPEC §13): always imported,
 * published only when GETCOURSE_REVIEW_HOURS is set (the clock needs GetCourse to report checks;
 * docs/review-clock.md), unpublished again when it is unset. GETCOURSE_REVIEW_HOURS is its Check
 * Within (fractions: 0.05 = 3 minutes, for a quick try); GETCOURSE_STAFF_CHAT_ID gets the
 * escalations and the weekly report; GETCOURSE_SCHOOL_ADDRESS turns on the «Открыть урок» button
 * (the mentor's notification in the full pipeline too).
 */

const TEMPLATE = 'review-clock';
const WORKFLOW_ID = 'gcbReviewClock01';
const REVIEW_CLOCK = 'n8n-nodes-getcourse-bot.getCourseReviewClock';
const CREATE_NOTIFICATION = 'n8n-nodes-getcourse-bot.getCourseCreateNotification';

/** { hours (number or null), staffChatId, schoolAddress } from the environment; a bad value stops npm start. */
function reviewSettings(env = process.env) {
	const raw = (env.GETCOURSE_REVIEW_HOURS || '').trim();
	let hours = null;
	if (raw) {
		hours = Number(raw.replace(',', '.'));
		if (!Number.isFinite(hours) || hours <= 0 || hours > 8760) {
			throw new Error(`GETCOURSE_REVIEW_HOURS must be a number of hours above 0 (0.05 = 3 minutes), got ${JSON.stringify(raw)}`);
		}
	}
	const schoolAddress = (env.GETCOURSE_SCHOOL_ADDRESS || '').trim().replace(/\/+$/, '');
	if (schoolAddress && !/^https?:\/\/[^\s/]+/.test(schoolAddress)) {
		throw new Error(`GETCOURSE_SCHOOL_ADDRESS must be an address like https://school.getcourse.ru, got ${JSON.stringify(schoolAddress)}`);
	}
	return { hours, staffChatId: (env.GETCOURSE_STAFF_CHAT_ID || '').trim(), schoolAddress };
}

/** Applies the settings to one node of any template (the transform before import). */
function applyToNode(node, s) {
	const p = (node.parameters = node.parameters || {});
	if (node.type === REVIEW_CLOCK) {
		const op = p.operation || 'remind';
		if (op === 'remind' && s.hours !== null) p.checkWithinHours = s.hours;
		if ((op === 'remind' || op === 'weeklyReport') && s.staffChatId) p.staffChatId = s.staffChatId;
		if ((op === 'remind' || op === 'digest') && s.schoolAddress) p.schoolAddress = s.schoolAddress;
	}
	if (node.type === CREATE_NOTIFICATION && p.recipient !== 'staff' && s.schoolAddress) p.schoolAddress = s.schoolAddress;
}

/** The stored workflow no longer says what the environment says: import it again. */
function reviewClockOutdated(row, s) {
	if (row.id !== WORKFLOW_ID || s.hours === null) return false;
	const remind = (row.nodes || []).find((n) => n.type === REVIEW_CLOCK && (n.parameters?.operation || 'remind') === 'remind');
	return !remind || Number(remind.parameters?.checkWithinHours) !== s.hours;
}

module.exports = { TEMPLATE, WORKFLOW_ID, reviewSettings, applyToNode, reviewClockOutdated };
