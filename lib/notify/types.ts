/**
 * Every notifications.type this package writes (SPEC §11, §13). One notification per event (or,
 * for send_failed_alert, per failed notification) and type: message_hash = sha256(type \0 key).
 * Staff-chat types have mentor_id NULL. A mentor's Create Notification may also be given a type
 * of the user's own; such rows are sent like any other.
 */
export const HOMEWORK_SUBMITTED = 'homework_submitted';
/** An event nobody could be routed to (Resolve Mentor's Unresolved output): staff chat. */
export const STAFF_ALERT = 'staff_alert';
/** A notification Telegram refused for good (403, 400): staff chat, one per failed notification and manual retry. */
export const SEND_FAILED_ALERT = 'send_failed_alert';

/** The review clock (SPEC §13): one reminder per review, to the mentor. */
export const REVIEW_REMINDER = 'review_reminder';
/** One escalation per review at twice the deadline: staff chat. */
export const REVIEW_ESCALATION = 'review_escalation';
/** One digest per mentor and school day: their open reviews. */
export const REVIEW_DIGEST = 'review_digest';
/** One weekly report: staff chat. */
export const REVIEW_REPORT = 'review_report';

export const NOTIFICATION_TYPES = [HOMEWORK_SUBMITTED, STAFF_ALERT, SEND_FAILED_ALERT, REVIEW_REMINDER, REVIEW_ESCALATION, REVIEW_DIGEST, REVIEW_REPORT] as const;

/**
 * Staff-chat types that Send Pending sends as one digest when several wait for the same chat
 * (split at 4096 characters). A report is never coalesced.
 */
export const COALESCIBLE_TYPES: readonly string[] = [STAFF_ALERT, SEND_FAILED_ALERT, REVIEW_ESCALATION];
