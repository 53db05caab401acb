/** No endpoint of the manager takes a body; anything larger than this is refused before it is read. */
export const BODY_LIMIT_BYTES = 16 * 1024;
