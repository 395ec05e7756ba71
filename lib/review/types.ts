/**
 * Notification types of the review clock (notifications.type). To be listed with the others in
 * lib/notify/types.ts (the shared list of notification types) when it exists.
 */
export const REVIEW_REMINDER = 'review_reminder';
export const REVIEW_ESCALATION = 'review_escalation';
export const REVIEW_DIGEST = 'review_digest';
export const REVIEW_REPORT = 'review_report';

/** The notification that opens a review (lib/db/migrations/006_review_clock.sql). */
export const REVIEW_OPENING_TYPE = 'homework_submitted';
