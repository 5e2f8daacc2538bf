/**
 * Waits that end: a cluster process talks to a broker and a database that may not answer, and neither a
 * stop nor the console's alarm reading may hang on them.
 */

/** `work`'s value, or a rejection naming the deadline when it takes longer than `ms` (its own rejection is passed on). */
export async function withDeadline<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Whether `work` fulfilled within `ms`; late or rejected, false. */
export async function doneWithin (work: Promise<unknown>, ms: number): Promise<boolean> {
  return await withDeadline(work, ms).then(() => true, () => false)
}
