/**
 * The flags that open a review: the punch's time or place may be wrong, and only a person can say. A
 * punch stored with any of them gets an open review (store/punch-store.ts files it in the transaction
 * that stores the punch; store/review-store.ts decides it).
 */
export const REVIEW_FLAGS = ['late-sync', 'expired', 'clock-skew', 'future', 'gps-jump', 'outside-geofence'] as const
