/** What Fastify sets for a serialised object; answers written as text or bytes set the same. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
