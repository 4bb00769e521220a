// A source's written message travels as a submission like a file; this pair marks it as a message,
// so that journalists' pages show it as text in the conversation rather than as a file to save.
// Browsers type a picked .txt file "text/plain" with no charset, so a file a source happened to
// name message.txt is not taken for a message.

export const MESSAGE_NAME = 'message.txt';
export const MESSAGE_TYPE = 'text/plain; charset=utf-8';

export function isMessage(manifest: { name: string; type: string }): boolean {
  return manifest.name === MESSAGE_NAME && manifest.type === MESSAGE_TYPE;
}
