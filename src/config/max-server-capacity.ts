/**
 * No game server has more places than this; a health report of more is a broken server, not a big
 * one. A file of its own: the probe thread reads it without loading the settings' validators.
 */
export const MAX_SERVER_CAPACITY = 100_000;
