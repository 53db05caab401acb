/** What a failure says, for a log line or an operator's view: an Error's message, or the thrown value itself. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
