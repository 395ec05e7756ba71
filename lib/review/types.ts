import { HOMEWORK_SUBMITTED } from '../notify/types';

// Notification types of the review clock: the shared list is lib/notify/types.ts.
export { REVIEW_DIGEST, REVIEW_ESCALATION, REVIEW_REMINDER, REVIEW_REPORT } from '../notify/types';

/** The notification that opens a review (lib/db/migrations/006_review_clock.sql). */
export const REVIEW_OPENING_TYPE = HOMEWORK_SUBMITTED;
