/**
 * The notification types the package itself creates (notifications.type). A mentor's Create
 * Notification may also be given a type of the user's own; such rows are sent like any other.
 */
export const HOMEWORK_SUBMITTED = 'homework_submitted';
/** An event nobody could be routed to: to the staff chat (mentor_id NULL). */
export const STAFF_ALERT = 'staff_alert';
/** A notification that failed for good (403/400): to the staff chat. */
export const SEND_FAILED_ALERT = 'send_failed_alert';

export const NOTIFICATION_TYPES = [HOMEWORK_SUBMITTED, STAFF_ALERT, SEND_FAILED_ALERT] as const;

/**
 * Staff-chat types that Send Pending sends as one digest when several wait for the same chat
 * (split at 4096 characters). `review_escalation` is the review clock's; a report is never coalesced.
 */
export const COALESCIBLE_TYPES: readonly string[] = [STAFF_ALERT, SEND_FAILED_ALERT, 'review_escalation'];
