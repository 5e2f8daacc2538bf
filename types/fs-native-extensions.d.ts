/** The part of fs-native-extensions (holepunchto, no types of its own) punchline uses: advisory whole-file locks. */
declare module 'fs-native-extensions' {
  /**
   * An exclusive lock on the open file: true when granted, false when another open file holds it. On Linux
   * an open-file-description lock (F_OFD_SETLK): two opens conflict even in one process, and the kernel
   * drops it when the last descriptor closes or the process dies (kill -9 included).
   */
  export function tryLock (fd: number, offset?: number, length?: number, opts?: { shared?: boolean }): boolean
  export function unlock (fd: number, offset?: number, length?: number): void
}
