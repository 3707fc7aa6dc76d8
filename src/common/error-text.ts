/**
 * A thrown value as one line of text for a log or an answer: an Error's first message line (its name when
 * the message is empty; `Name: message` with `withName` for anything but a plain Error), a thrown string
 * as is, anything else marked as a non-error.
 */
export function errorText(error: unknown, withName = false): string {
  if (error instanceof Error) {
    const message = error.message.split('\n')[0];
    return withName && error.name !== 'Error' ? `${error.name}: ${message}` : message || error.name;
  }
  return typeof error === 'string' ? error : `non-error thrown: ${String(error)}`;
}
