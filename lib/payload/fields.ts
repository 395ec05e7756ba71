/** Names of the parameters a GetCourse process "call URL" sends; the admin chooses them. */
export interface FieldMap {
	userId: string;
	userEmail: string;
	answerId: string;
	trainingId: string;
	lessonId: string;
	status: string;
	text: string;
	eventDate: string;
	lessonName: string;
	trainingName: string;
	/** When this parameter is not empty, the call is a comment on the answer. */
	commentId: string;
	commentText: string;
	/** Who wrote the comment (GetCourse user id); a comment by anyone but the student notifies nobody. */
	commentAuthorId: string;
}

export const DEFAULT_FIELDS: FieldMap = {
	userId: 'user_id',
	userEmail: 'user_email',
	answerId: 'answer_id',
	trainingId: 'answer_training_id',
	lessonId: 'answer_lesson_id',
	status: 'answer_status',
	text: 'answer_text',
	eventDate: 'event_date',
	lessonName: 'lesson_name',
	trainingName: 'training_name',
	commentId: 'comment_id',
	commentText: 'comment_text',
	commentAuthorId: 'comment_user_id',
};
